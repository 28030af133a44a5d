/**
 * A bounded number of slots taken in arrival order: `take` waits (on an event, not by polling) until one
 * is free, or gives up after `waitMs` (resolves false) or when `signal` aborts (rejects with its reason).
 */
export class Slots {
  readonly #size: number
  #used = 0
  readonly #waiting: (() => void)[] = []

  /** `size` slots, at least one. */
  constructor(size: number) {
    if (!(Number.isSafeInteger(size) && size >= 1)) throw new RangeError(`a slot count must be a positive integer, got ${size}`)
    this.#size = size
  }

  /** Slots in use now. */
  get used(): number {
    return this.#used
  }

  /** Takes a slot: true once taken (give it back with `release`), false if none came free within `waitMs`. */
  async take(waitMs: number, signal: AbortSignal): Promise<boolean> {
    signal.throwIfAborted()
    if (this.#used < this.#size) {
      this.#used++
      return true
    }
    return new Promise<boolean>((resolve, reject) => {
      const granted = (): void => {
        clearTimeout(timer)
        signal.removeEventListener('abort', aborted)
        this.#used++
        resolve(true)
      }
      const leave = (): void => {
        const index = this.#waiting.indexOf(granted)
        if (index >= 0) this.#waiting.splice(index, 1)
        signal.removeEventListener('abort', aborted)
      }
      const aborted = (): void => {
        clearTimeout(timer)
        leave()
        reject(signal.reason)
      }
      const timer = setTimeout(() => {
        leave()
        resolve(false)
      }, waitMs)
      signal.addEventListener('abort', aborted, { once: true })
      this.#waiting.push(granted)
    })
  }

  /** Gives a slot back; the longest waiter gets it. */
  release(): void {
    this.#used--
    this.#waiting.shift()?.()
  }
}
