import { BodyTooSlow } from '../model/stop-reasons.js'

/** A minimum rate for request bodies. */
export interface MinBodyRateOptions {
  /** Bytes per second a body must average over the window; 0 turns the check off. */
  readonly bytesPerSecond: number
  /** The window the average is taken over; also the grace period before a body is first judged. */
  readonly windowMs: number
}

// Samples of (time waited, bytes) are kept about once a second of waiting: a window of 20 s needs ~20.
const SAMPLE_EVERY_MS = 1_000
// While waiting for the client, the rate is checked this often, so a trickle is stopped without
// waiting for its next byte.
const CHECK_EVERY_MS = 1_000

/**
 * Watches a request body as the transport reads it and calls `onTooSlow` once it averages less than
 * `bytesPerSecond` over the last `windowMs` (never before the body was read for `windowMs`).
 *
 * Only the time spent waiting for the client counts: a body that is not being read (its request waits
 * for a lock, the store is writing) is never judged for that time, as the network timeout's idle clock
 * only runs while waiting for the client too. Calls `onTooSlow` at most once; `done()` stops watching.
 */
export class MinBodyRate {
  readonly #options: MinBodyRateOptions
  readonly #onTooSlow: (reason: BodyTooSlow) => void
  #waitedMs = 0
  #bytes = 0
  #waitingSince: number | undefined
  /** (waitedMs, bytes) about once a second of waiting, oldest first, trimmed to the window. */
  readonly #samples: Array<readonly [number, number]> = [[0, 0]]
  #timer: NodeJS.Timeout | undefined
  #finished = false

  constructor(options: MinBodyRateOptions, onTooSlow: (reason: BodyTooSlow) => void) {
    this.#options = options
    this.#onTooSlow = onTooSlow
  }

  /** The transport now waits for the client's next bytes. */
  waiting(): void {
    if (this.#finished) return
    this.#waitingSince = performance.now()
    this.#timer ??= setInterval(() => this.#check(), CHECK_EVERY_MS)
    this.#timer.unref()
  }

  /** `bytes` arrived; the wait is over until `waiting()` is called again. */
  received(bytes: number): void {
    if (this.#finished || this.#waitingSince === undefined) return
    this.#waitedMs += performance.now() - this.#waitingSince
    this.#waitingSince = undefined
    this.#bytes += bytes
    const last = this.#samples.at(-1) as readonly [number, number]
    if (this.#waitedMs - last[0] >= SAMPLE_EVERY_MS) this.#samples.push([this.#waitedMs, this.#bytes])
    this.#check()
  }

  /** The body ended or was stopped: no more checks. */
  done(): void {
    this.#finished = true
    clearInterval(this.#timer)
  }

  #check(): void {
    if (this.#finished) return
    const waited = this.#waitedMs + (this.#waitingSince === undefined ? 0 : performance.now() - this.#waitingSince)
    const { windowMs, bytesPerSecond } = this.#options
    if (waited < windowMs) return
    // The newest sample at least a window old is where the window starts; older ones are dropped.
    while (this.#samples.length > 1 && waited - (this.#samples[1] as readonly [number, number])[0] >= windowMs) this.#samples.shift()
    const [startWaited, startBytes] = this.#samples[0] as readonly [number, number]
    const rate = ((this.#bytes - startBytes) * 1000) / (waited - startWaited)
    if (rate < bytesPerSecond) {
      this.done()
      this.#onTooSlow(new BodyTooSlow(bytesPerSecond, Math.floor(rate), windowMs))
    }
  }
}
