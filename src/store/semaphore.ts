interface Waiter {
  grant(): void
  abandon(reason: unknown): void
}

/** The waiters of one signal, and the one listener that turns them away when it aborts. */
interface Watched {
  readonly waiters: Set<Waiter>
  readonly onAbort: () => void
}

/**
 * At most `limit` holders at a time (a store's part uploads or deletes in flight, across all uploads); the others
 * wait in arrival order, woken by a release, never by polling. A signal gets one listener however many of its
 * waiters wait (the parts of one upload share its signal: node warns of a leak past 10 listeners).
 */
export class Semaphore {
  readonly #limit: number
  #held = 0
  readonly #waiting: Waiter[] = []
  readonly #watched = new Map<AbortSignal, Watched>()

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
      const waiter: Waiter = {
        grant: () => {
          this.#unwatch(signal, waiter)
          resolve(this.#take())
        },
        abandon: reject,
      }
      this.#watch(signal, waiter)
      this.#waiting.push(waiter)
    })
  }

  #watch(signal: AbortSignal, waiter: Waiter): void {
    const known = this.#watched.get(signal)
    if (known !== undefined) {
      known.waiters.add(waiter)
      return
    }
    const watched: Watched = {
      waiters: new Set([waiter]),
      onAbort: () => {
        this.#watched.delete(signal)
        for (const abandoned of watched.waiters) {
          this.#waiting.splice(this.#waiting.indexOf(abandoned), 1)
          abandoned.abandon(signal.reason)
        }
      },
    }
    this.#watched.set(signal, watched)
    signal.addEventListener('abort', watched.onAbort, { once: true })
  }

  #unwatch(signal: AbortSignal, waiter: Waiter): void {
    const watched = this.#watched.get(signal)
    if (watched === undefined) return
    watched.waiters.delete(waiter)
    if (watched.waiters.size > 0) return
    this.#watched.delete(signal)
    signal.removeEventListener('abort', watched.onAbort)
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
