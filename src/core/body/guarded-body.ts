/** Why a guarded body stopped before its source ended. */
export type BodyStop =
  /** The source had more bytes than the limit allows; bytes up to the limit were passed on. */
  | { readonly kind: 'limit' }
  /** The source had more bytes than one request may carry (`appendLimit`); bytes up to it were passed on. */
  | { readonly kind: 'append-limit'; readonly limit: number }
  /** The signal aborted (lock release, shutdown, client gone); `reason` is the signal's reason. */
  | { readonly kind: 'aborted'; readonly reason: unknown }
  /** Nothing arrived for `idleMs`. */
  | { readonly kind: 'idle'; readonly idleMs: number }
  /** The source failed (connection reset, truncated chunked body). */
  | { readonly kind: 'failed'; readonly error: unknown }

export interface GuardOptions {
  /** Most bytes to pass on (the room left in the upload); undefined for no limit. */
  readonly limit?: number
  /** Most bytes one request may carry; when it is the lower limit, going past it stops with `append-limit`. */
  readonly appendLimit?: number
  /** Sees every chunk passed on, in order (checksums, digests): one pass over the bytes for everyone. */
  readonly observe?: (chunk: Uint8Array) => void
  /** Stops the body at once, even while the source is stalled. */
  readonly signal: AbortSignal
  /** Stops the body when the source sends nothing for this long; 0 turns it off. */
  readonly idleTimeoutMs: number
  /**
   * Called before each chunk is passed on and when the body ends (the lock's `checkHeld`): it may abort
   * `signal` at once, and then nothing more is passed on.
   */
  readonly checkLock?: () => void
}

/**
 * Wraps a request body so that it can be stopped at any moment without losing what arrived.
 *
 * It never throws: on a limit, an abort, an idle timeout or a failing source it simply ends, and
 * `stop` says why. A store reading it therefore sees an ordinary end and persists every byte it got.
 * A stalled source does not delay the stop: each read races the abort and the idle timer.
 */
export class GuardedBody implements AsyncIterable<Uint8Array> {
  #bytes = 0
  #stop: BodyStop | undefined
  #ended = false
  readonly #source: AsyncIterable<Uint8Array>
  readonly #options: GuardOptions

  constructor(source: AsyncIterable<Uint8Array>, options: GuardOptions) {
    this.#source = source
    this.#options = options
  }

  /** Bytes passed on so far. */
  get bytes(): number {
    return this.#bytes
  }

  /**
   * Why the body stopped early; undefined only once it ran to the source's end. Asked once its reader is
   * done: a reader that let go of the body before its end (a store that saw the abort first) leaves a body
   * that did not end, which never counts as whole.
   */
  get stop(): BodyStop | undefined {
    if (this.#stop !== undefined || this.#ended) return this.#stop
    const { signal } = this.#options
    return signal.aborted ? { kind: 'aborted', reason: signal.reason } : { kind: 'failed', error: new Error('the body was not read to its end') }
  }

  async *[Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    const { signal, idleTimeoutMs, observe, checkLock } = this.#options
    const { limit, stopAtLimit } = limitOf(this.#options)
    const iterator = this.#source[Symbol.asyncIterator]()
    // Each read races its own promise: racing every read against one long-lived "interrupted" promise
    // would hang a reaction on it per read, and with it every chunk, until the body ends.
    let stopped: BodyStop | undefined
    let settleRead: (stop: BodyStop) => void = () => {}
    const interrupt = (stop: BodyStop): void => {
      stopped ??= stop
      settleRead(stop)
    }
    const onAbort = (): void => interrupt({ kind: 'aborted', reason: signal.reason })
    signal.addEventListener('abort', onAbort, { once: true })
    // The idle clock runs only while waiting for the source, not while the consumer writes.
    let waiting = false
    const idleTimer =
      idleTimeoutMs > 0
        ? setTimeout(() => waiting && interrupt({ kind: 'idle', idleMs: idleTimeoutMs }), idleTimeoutMs)
        : undefined
    try {
      if (signal.aborted) {
        this.#stop = { kind: 'aborted', reason: signal.reason }
        return
      }
      for (;;) {
        let next: IteratorResult<Uint8Array> | BodyStop
        waiting = true
        idleTimer?.refresh()
        try {
          next =
            stopped ??
            (await new Promise<IteratorResult<Uint8Array> | BodyStop>((resolve, reject) => {
              settleRead = resolve
              iterator.next().then(resolve, reject)
            }))
        } catch (error) {
          this.#stop = { kind: 'failed', error }
          return
        } finally {
          waiting = false
        }
        if (!('done' in next)) {
          this.#stop = next as BodyStop
          return
        }
        if (next.done) {
          this.#ended = true
          return
        }
        checkLock?.()
        if (signal.aborted) {
          this.#stop = { kind: 'aborted', reason: signal.reason }
          return
        }
        const chunk = next.value
        if (limit !== undefined && this.#bytes + chunk.byteLength > limit) {
          // The bytes up to the limit are passed on even when they arrive in one read with the bytes past
          // it (HTTP/2 DATA frames are joined), so what is kept never depends on how the network split them.
          const room = limit - this.#bytes
          this.#stop = stopAtLimit
          if (room > 0) {
            const head = chunk.subarray(0, room)
            this.#bytes += room
            observe?.(head)
            yield head
          }
          return
        }
        this.#bytes += chunk.byteLength
        observe?.(chunk)
        yield chunk
      }
    } finally {
      // Before the reader goes on with what it got (a store writes its last bytes then).
      checkLock?.()
      clearTimeout(idleTimer)
      signal.removeEventListener('abort', onAbort)
    }
  }
}

/** The lower of the two limits, and how a body stops at it (the append limit wins a tie: the request carried too much). */
function limitOf(options: GuardOptions): { limit: number | undefined; stopAtLimit: BodyStop } {
  const { limit, appendLimit } = options
  if (appendLimit !== undefined && (limit === undefined || appendLimit <= limit)) {
    return { limit: appendLimit, stopAtLimit: { kind: 'append-limit', limit: appendLimit } }
  }
  return { limit, stopAtLimit: { kind: 'limit' } }
}
