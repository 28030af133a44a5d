import { setTimeout as sleep } from 'node:timers/promises'

/** What a leftover sweeper sweeps: the store's own crash leftovers (see `Store.sweepLeftovers`). */
export interface LeftoverTarget {
  sweepLeftovers(signal: AbortSignal): Promise<number>
}

export interface LeftoverSweeperOptions {
  /** Pause between two passes. */
  readonly intervalMs: number
  /** Told the bytes each pass freed (0 included); must not throw. */
  readonly onSwept?: (freedBytes: number) => void
  readonly onError?: (error: unknown) => void
}

/**
 * Removes what crashes of the store left behind (temporary files of a copy or an atomic write that a
 * `kill -9` cut short) when no expiration sweeper does it: a pass at start-up, then every `intervalMs`,
 * so that leftovers too young to be judged at start-up are removed later. The store decides what is a
 * leftover and never removes what an upload uses.
 */
export class LeftoverSweeper {
  readonly #target: LeftoverTarget
  readonly #options: LeftoverSweeperOptions
  readonly #stop = new AbortController()
  #running: Promise<void> | undefined

  constructor(target: LeftoverTarget, options: LeftoverSweeperOptions) {
    this.#target = target
    this.#options = options
  }

  /** Starts sweeping, with a pass right away; once only. */
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
        this.#options.onSwept?.(await this.#target.sweepLeftovers(signal))
      } catch (error) {
        if (!signal.aborted) this.#options.onError?.(error)
      }
      try {
        await sleep(this.#options.intervalMs, undefined, { signal })
      } catch {
        return
      }
    }
  }
}
