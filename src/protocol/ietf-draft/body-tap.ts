import type { Exchange } from '../../transport/exchange.js'

/** Why a tapped body stopped: its content went past the most a request may carry. */
export class ContentLimitReached extends Error {
  constructor(readonly limit: number) {
    super(`the request content goes past ${limit} bytes`)
    this.name = 'ContentLimitReached'
  }
}

/**
 * A request body on its way to the service: it counts the bytes the service has taken (for progress
 * 104s), shows each chunk to observers (a representation digest), and, for bodies of unknown size,
 * stops with ContentLimitReached before passing `limit` bytes on (`max-append-size`).
 *
 * The exchange's body is opened on the first read only, so `100 Continue` is not sent for a request
 * that is refused before its content is needed.
 */
export class BodyTap implements AsyncIterable<Uint8Array> {
  #bytes = 0
  #limitReached = false
  readonly #exchange: Exchange
  readonly #observers: ((chunk: Uint8Array) => void)[] = []
  readonly #limit: number | undefined

  constructor(exchange: Exchange, limit?: number) {
    this.#exchange = exchange
    this.#limit = limit
  }

  /** Bytes passed on so far. */
  get bytes(): number {
    return this.#bytes
  }

  /** True once the body was stopped at its limit. */
  get limitReached(): boolean {
    return this.#limitReached
  }

  /** Shows every chunk passed on to `observer`, in order. */
  observe(observer: (chunk: Uint8Array) => void): void {
    this.#observers.push(observer)
  }

  async *[Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    // Read by hand, not with for-await: leaving a for-await early destroys the source, and with it an
    // HTTP/2 stream whose answer (the 413) has not been sent yet.
    const source = this.#exchange.body[Symbol.asyncIterator]()
    for (;;) {
      const next = await source.next()
      if (next.done === true) return
      const chunk = next.value
      if (this.#limit !== undefined && this.#bytes + chunk.byteLength > this.#limit) {
        // The bytes up to the limit are passed on even when they arrive in one read with the bytes past
        // it (HTTP/2 DATA frames are joined), so what is kept never depends on how the network split them.
        const room = this.#limit - this.#bytes
        if (room > 0) yield this.#pass(chunk.subarray(0, room))
        this.#limitReached = true
        // The service keeps what was passed on and reports the body as ended early.
        throw new ContentLimitReached(this.#limit)
      }
      yield this.#pass(chunk)
    }
  }

  #pass(chunk: Uint8Array): Uint8Array {
    this.#bytes += chunk.byteLength
    for (const observer of this.#observers) observer(chunk)
    return chunk
  }
}
