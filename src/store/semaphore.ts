/**
 * At most `limit` holders at a time (a store's part uploads or deletes in flight, across all uploads); the others
 * wait in arrival order, woken by a release, never by polling.
 */
export class Semaphore {
  readonly #limit: number
  #held = 0
  readonly #waiting: { grant(): void; signal: AbortSignal; abandon(): void }[] = []

  constructor(limit: number) {
    if (!(Number.isSafeInteger(limit) && limit > 0)) throw new RangeError(`a semaphore needs a positive limit, not ${limit}`)
    this.#limit = limit
  }

  /** Holders now. */
  get held(): number {
    return this.#held
  }

  /** Holders and waiters now: how many want a place. */
  get demand(): number {
    return this.#held + this.#waiting.length
  }

  get limit(): number {
    return this.#limit
  }

  /**
   * Resolves with a release function once a place is free (release it exactly once; later calls do
   * nothing). Rejects with `signal.reason` when the signal aborts first, taking no place.
   */
  acquire(signal: AbortSignal): Promise<() => void> {
    signal.throwIfAborted()
    if (this.#held < this.#limit && this.#waiting.length === 0) return Promise.resolve(this.#take())
    return new Promise((resolve, reject) => {
      const waiter = {
        signal,
        grant: () => {
          signal.removeEventListener('abort', waiter.abandon)
          resolve(this.#take())
        },
        abandon: () => {
          const at = this.#waiting.indexOf(waiter)
          if (at >= 0) this.#waiting.splice(at, 1)
          reject(signal.reason)
        },
      }
      signal.addEventListener('abort', waiter.abandon, { once: true })
      this.#waiting.push(waiter)
    })
  }

  #take(): () => void {
    this.#held++
    let released = false
    return () => {
      if (released) return
      released = true
      this.#held--
      this.#waiting.shift()?.grant()
    }
  }
}
