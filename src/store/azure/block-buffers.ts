/**
 * The memory every append of one store fills blocks in, bounded as a whole: `acquire` waits (first come,
 * first served) while the buffers held would pass `limit`. Released buffers are kept for reuse while appends
 * run (within the limit), so a long upload fills the same few buffers instead of leaving the garbage collector
 * megabytes to find; once no buffer is held they are let go, so an idle store (or one serving downloads)
 * holds nothing.
 */
export class BlockBuffers {
  /** The most bytes held and kept together. */
  readonly limit: number
  #held = 0
  readonly #free: Buffer[] = []
  readonly #waiting: Waiter[] = []

  constructor(limit: number) {
    if (!(Number.isSafeInteger(limit) && limit > 0)) throw new RangeError(`a buffer limit must be a positive byte count, not ${limit}`)
    this.limit = limit
  }

  /** Bytes of the buffers handed out and not yet released. */
  get held(): number {
    return this.#held
  }

  /**
   * A buffer of `size` bytes (its content is garbage), once it fits: with the buffers held, within the limit,
   * or as the only one held (a block larger than the limit still gets its turn, alone). Rejects with
   * `signal.reason` if the signal aborts first; the wait then leaves no trace.
   */
  acquire(size: number, signal: AbortSignal): Promise<Buffer> {
    if (!(Number.isSafeInteger(size) && size > 0)) return Promise.reject(new RangeError(`not a buffer size: ${size}`))
    if (signal.aborted) return Promise.reject(signal.reason)
    if (this.#waiting.length === 0 && this.#fits(size)) return Promise.resolve(this.#take(size))
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        size,
        grant: () => {
          signal.removeEventListener('abort', onAbort)
          resolve(this.#take(size))
        },
      }
      const onAbort = (): void => {
        this.#waiting.splice(this.#waiting.indexOf(waiter), 1)
        reject(signal.reason)
        // The first in line may have been all that held the others back.
        this.#grant()
      }
      signal.addEventListener('abort', onAbort, { once: true })
      this.#waiting.push(waiter)
    })
  }

  /** Gives a buffer from `acquire` back (once); waiters it makes room for get theirs. */
  release(buffer: Buffer): void {
    this.#held -= buffer.length
    if (this.#held === 0 && this.#waiting.length === 0) this.#free.length = 0
    else if (this.#held + this.#freeBytes() + buffer.length <= this.limit) this.#free.push(buffer)
    this.#grant()
  }

  #fits(size: number): boolean {
    return this.#held === 0 || this.#held + size <= this.limit
  }

  #take(size: number): Buffer {
    this.#held += size
    const index = this.#free.findIndex((buffer) => buffer.length === size)
    if (index >= 0) return this.#free.splice(index, 1)[0] as Buffer
    // Kept buffers of other sizes give way: together with the new one they would pass the limit.
    while (this.#free.length > 0 && this.#held + this.#freeBytes() > this.limit) this.#free.pop()
    return Buffer.allocUnsafeSlow(size)
  }

  #freeBytes(): number {
    return this.#free.reduce((sum, buffer) => sum + buffer.length, 0)
  }

  #grant(): void {
    for (let next = this.#waiting[0]; next !== undefined && this.#fits(next.size); next = this.#waiting[0]) {
      this.#waiting.shift()
      next.grant()
    }
  }
}

interface Waiter {
  readonly size: number
  grant(): void
}
