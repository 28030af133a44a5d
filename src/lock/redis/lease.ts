/**
 * Keeps one grant's lease alive in Redis: renews it every third of the lease, and declares it lost
 * before Redis can let it expire. The lease runs out in Redis no sooner than `leaseMs` after Redis
 * handled the last renewal, which was after it was sent; the holder gives up at 4/5 of the lease after
 * sending its last successful renewal, so it has stopped (its writes aborted) before any other gateway
 * can be granted the lock. A renewal that fails to reach Redis is tried again every tenth of the lease
 * until then; one that finds the lease gone (expired, deleted, Redis restarted empty) loses it at once.
 *
 * The loss timer alone is late after the process was paused (a VM freeze, a stopped process, a long
 * collection): once it runs again, its I/O callbacks (bytes of a body, messages from Redis) come before its
 * timers, and would write on a lease that ran out meanwhile. `check` compares the clock with the deadline
 * at once; holders call it before they write.
 */
export class Lease {
  readonly #leaseMs: number
  readonly #renew: () => Promise<boolean>
  readonly #onLost: (cause: Error) => void
  #renewTimer: NodeJS.Timeout | undefined
  #lossTimer: NodeJS.Timeout | undefined
  #lastError: unknown
  #stopped = false
  /** `performance.now()` past which the lease may have run out in Redis (4/5 of it after the last confirmation was sent). */
  #deadline = 0

  /**
   * `grantedAt` (`performance.now()`): when the command that granted or last confirmed the lease was sent.
   * `renew` resolves true when the lease was extended, false when it is not this holder's any more, and
   * throws when Redis cannot be asked. `onLost` is called at most once, and never after `stop()`.
   */
  constructor(leaseMs: number, grantedAt: number, renew: () => Promise<boolean>, onLost: (cause: Error) => void) {
    this.#leaseMs = leaseMs
    this.#renew = renew
    this.#onLost = onLost
    this.#armLoss(grantedAt)
    this.#scheduleRenewal(leaseMs / 3)
  }

  /** Loses the lease now if its deadline has passed by the clock, whatever the timers say. */
  check(): void {
    if (performance.now() >= this.#deadline) this.#lose(new Error('the lease ran out while the process did not run (paused or stalled)'))
  }

  /** Stops renewing (the lock was released, or lost). */
  stop(): void {
    this.#stopped = true
    clearTimeout(this.#renewTimer)
    clearTimeout(this.#lossTimer)
  }

  #armLoss(sentAt: number): void {
    clearTimeout(this.#lossTimer)
    const deadline = sentAt + (this.#leaseMs * 4) / 5
    this.#deadline = deadline
    this.#lossTimer = setTimeout(() => {
      const detail = this.#lastError instanceof Error ? `: ${this.#lastError.message}` : ''
      this.#lose(new Error(`the lease could not be renewed in time${detail}`, { cause: this.#lastError }))
    }, Math.max(0, deadline - performance.now()))
    this.#lossTimer.unref()
  }

  #scheduleRenewal(delayMs: number): void {
    this.#renewTimer = setTimeout(() => void this.#renewNow(), delayMs)
    this.#renewTimer.unref()
  }

  async #renewNow(): Promise<void> {
    const sentAt = performance.now()
    let kept: boolean
    try {
      kept = await this.#renew()
    } catch (error) {
      if (this.#stopped) return
      this.#lastError = error
      this.#scheduleRenewal(this.#leaseMs / 10)
      return
    }
    if (this.#stopped) return
    if (!kept) {
      this.#lose(new Error('the lease was gone when it was renewed (expired, removed, or Redis lost its data)'))
      return
    }
    this.#lastError = undefined
    this.#armLoss(sentAt)
    this.#scheduleRenewal(this.#leaseMs / 3)
  }

  #lose(cause: Error): void {
    if (this.#stopped) return
    this.stop()
    this.#onLost(cause)
  }
}
