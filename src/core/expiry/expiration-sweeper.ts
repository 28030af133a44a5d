import { eitherSignal } from '../../model/either-signal.js'
import type { Upload } from '../../model/upload.js'
import { PeriodicPass, pauseFor } from '../periodic-pass.js'

/** What the sweeper sweeps: the service's uploads, and the store's own crash leftovers. */
export interface Sweepable {
  /** Every upload id, read lazily. */
  uploadIds(signal: AbortSignal): AsyncIterable<string>
  /** Removes the upload if it has expired (see `UploadService.expire`); resolves with its last state then. */
  expire(id: string, signal: AbortSignal): Promise<Upload | undefined>
  /** Removes what crashes of the store left behind; resolves with the bytes freed. */
  sweepLeftovers(signal: AbortSignal): Promise<number>
}

/** What one pass of the sweeper did, for logs and metrics. */
export interface SweepReport {
  /** Uploads looked at. */
  readonly scanned: number
  /** Expired uploads removed. */
  readonly removed: number
  /** Bytes of upload data those held. */
  readonly freedBytes: number
  /** Expired-looking uploads left for the next pass: their lock was not free in time, or removing them failed. */
  readonly skipped: number
  /** Bytes of temporary files that crashes of the store had left behind. */
  readonly leftoverBytes: number
  readonly durationMs: number
}

/** How an `ExpirationSweeper` paces itself, and where it reports. */
export interface SweeperOptions {
  /** Pause between the end of one pass and the start of the next. */
  readonly intervalMs: number
  /** Most uploads removed per second, so that a backlog of expired uploads never floods the store. */
  readonly maxRemovalsPerSecond: number
  /** How long to wait for the lock of an upload in use before leaving it for the next pass. */
  readonly lockWaitMs: number
  /** Receives the report of every pass; must not throw. */
  readonly onReport?: (report: SweepReport) => void
  /** Receives errors (of a pass, or of one upload, then with its id); must not throw. */
  readonly onError?: (error: unknown, id?: string) => void
}

/**
 * Removes expired uploads in the background (tus `expiration`): one pass over the store at start, then
 * one every `intervalMs`. Each upload is checked by `UploadService.expire`, which leaves uploads in use
 * alone and re-checks one under its lock before removing it, so the sweeper and requests never race.
 * Removals are paced to `maxRemovalsPerSecond`. `stop` ends it between two uploads.
 */
export class ExpirationSweeper {
  readonly #target: Sweepable
  readonly #options: SweeperOptions
  readonly #passes: PeriodicPass

  constructor(target: Sweepable, options: SweeperOptions) {
    this.#target = target
    this.#options = options
    const pass = async (signal: AbortSignal): Promise<void> => options.onReport?.(await this.sweep(signal))
    this.#passes = new PeriodicPass(pass, options.intervalMs, (error) => options.onError?.(error))
  }

  /** Starts sweeping, with a pass right away. Does nothing once stopped, or when already started. */
  start(): void {
    this.#passes.start()
  }

  /** Stops sweeping for good; resolves once a running pass has ended. */
  async stop(): Promise<void> {
    await this.#passes.stop()
  }

  /** One pass over every upload of the store; stops early when `signal` aborts. Throws the store's listing errors. */
  async sweep(signal: AbortSignal): Promise<SweepReport> {
    const started = performance.now()
    let scanned = 0
    let removed = 0
    let freedBytes = 0
    let skipped = 0
    const pause = 1000 / this.#options.maxRemovalsPerSecond
    const leftoverBytes = await this.#target.sweepLeftovers(signal).catch((error: unknown) => {
      if (!signal.aborted) this.#options.onError?.(error)
      return 0
    })
    for await (const id of this.#target.uploadIds(signal)) {
      if (signal.aborted) break
      scanned++
      let expired
      const linked = eitherSignal(signal, AbortSignal.timeout(this.#options.lockWaitMs))
      try {
        expired = await this.#target.expire(id, linked.signal)
      } catch (error) {
        if (signal.aborted) break
        skipped++
        // A lock that is not free in time only means the upload is in use: no error, next pass.
        if (!(error instanceof DOMException && error.name === 'TimeoutError')) this.#options.onError?.(error, id)
        continue
      } finally {
        linked.unlink()
      }
      if (expired === undefined) continue
      removed++
      freedBytes += expired.offset
      if (!(await pauseFor(pause, signal))) break
    }
    return { scanned, removed, freedBytes, skipped, leftoverBytes, durationMs: Math.round(performance.now() - started) }
  }
}
