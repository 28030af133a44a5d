/**
 * Buffers that keep the bytes of pieces in flight, so that a failed upload can be sent again: at most
 * `count` of `size` bytes, shared by every upload of a store, allocated when first needed and then reused
 * (no garbage, however many pieces go through). A piece that finds none free is sent without a copy and is
 * not retried: memory stays bounded however many uploads run at once.
 */
export class RetryBuffers {
  readonly #free: Buffer[] = []
  #allocated = 0

  /** Throws `RangeError` for a size that is not a positive byte count or a count that is negative. */
  constructor(
    readonly size: number,
    readonly count: number,
  ) {
    if (!(Number.isSafeInteger(size) && size > 0)) throw new RangeError(`not a buffer size: ${size}`)
    if (!(Number.isSafeInteger(count) && count >= 0)) throw new RangeError(`not a buffer count: ${count}`)
  }

  /** A free buffer of `size` bytes (its content is garbage), or undefined when all are taken. */
  take(): Buffer | undefined {
    const reused = this.#free.pop()
    if (reused !== undefined) return reused
    if (this.#allocated === this.count) return undefined
    this.#allocated++
    // Outside node's pool: a buffer this large would not come from it anyway, and it lives for good.
    return Buffer.allocUnsafeSlow(this.size)
  }

  /** Gives back a buffer `take` handed out; nothing may read or write it afterwards. */
  give(buffer: Buffer): void {
    this.#free.push(buffer)
  }
}
