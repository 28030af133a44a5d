import { setTimeout as sleep } from 'node:timers/promises'

/**
 * Runs `pass` in the background: once at `start`, then again `intervalMs` after each pass ended, until
 * `stop`. A pass's error goes to `onError` (none once stopped) and the next pass runs all the same. The
 * loop of the background sweepers (expired uploads, crash leftovers).
 */
export class PeriodicPass {
  readonly #pass: (signal: AbortSignal) => Promise<void>
  readonly #intervalMs: number
  readonly #onError: (error: unknown) => void
  readonly #stop = new AbortController()
  #running: Promise<void> | undefined

  /** `onError` must not throw. */
  constructor(pass: (signal: AbortSignal) => Promise<void>, intervalMs: number, onError: (error: unknown) => void) {
    this.#pass = pass
    this.#intervalMs = intervalMs
    this.#onError = onError
  }

  /** Starts, with a pass right away. Does nothing once stopped, or when already started. */
  start(): void {
    if (this.#stop.signal.aborted || this.#running !== undefined) return
    this.#running = this.#loop(this.#stop.signal)
  }

  /** Stops for good; resolves once a running pass has ended. */
  async stop(): Promise<void> {
    this.#stop.abort()
    await this.#running
  }

  async #loop(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      try {
        await this.#pass(signal)
      } catch (error) {
        if (!signal.aborted) this.#onError(error)
      }
      if (!(await pauseFor(this.#intervalMs, signal))) return
    }
  }
}

/** Waits `ms`; false when `signal` aborted the wait. */
export async function pauseFor(ms: number, signal: AbortSignal): Promise<boolean> {
  try {
    await sleep(ms, undefined, { signal })
    return true
  } catch {
    return false
  }
}
