import { PeriodicPass } from './periodic-pass.js'

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
  readonly #passes: PeriodicPass

  constructor(target: LeftoverTarget, options: LeftoverSweeperOptions) {
    const pass = async (signal: AbortSignal): Promise<void> => options.onSwept?.(await target.sweepLeftovers(signal))
    this.#passes = new PeriodicPass(pass, options.intervalMs, (error) => options.onError?.(error))
  }

  /** Starts sweeping, with a pass right away; once only. */
  start(): void {
    this.#passes.start()
  }

  /** Stops for good; resolves once a running pass has ended. */
  async stop(): Promise<void> {
    await this.#passes.stop()
  }
}
