import type { Lock, Locker } from '../lock/locker.js'
import { LockLost, LockTimeout, ShuttingDown } from '../model/errors.js'
import { LockLoss, ShutdownRequested } from '../model/stop-reasons.js'
import type { RequestContext } from './commands.js'

/** How a request takes an upload's lock; see `AcquireOptions`. */
export interface LockOptions {
  /** Whether to ask the holder to let go (default true); the expiration sweeper and final uploads wait politely. */
  readonly requestRelease?: boolean
  /** Whether to wait for a held lock (default true); false: LockBusy at once. */
  readonly wait?: boolean
  /** How long to wait (default: the acquire-lock timeout). */
  readonly timeoutMs?: number
}

/**
 * The service's way to its locker: waits bounded by the acquire-lock timeout, and the locker's refusals
 * turned into facts. Throws LockTimeout when the holder does not let go in time, ShuttingDown when the
 * gateway stops meanwhile, the request signal's reason when the client goes away, and what the locker
 * throws (LockBusy, LockerUnavailable).
 */
export class UploadLocks {
  readonly #locker: Locker
  readonly #timeoutMs: number

  constructor(locker: Locker, acquireLockTimeoutMs: number) {
    this.#locker = locker
    this.#timeoutMs = acquireLockTimeoutMs
  }

  async lock(id: string, context: RequestContext, options: LockOptions = {}): Promise<Lock> {
    const timeoutMs = options.timeoutMs ?? this.#timeoutMs
    // One controller, its timer cleared as soon as the wait ends: AbortSignal.timeout kept every request's
    // signal and timer alive for the whole timeout, and AbortSignal.any tied them to the request's signal,
    // which costs memory and CPU at thousands of requests a second (issue 10, item 1).
    const wait = new AbortController()
    let timedOut = false
    const timer = setTimeout(() => {
      timedOut = true
      wait.abort(new LockTimeout(id, timeoutMs))
    }, timeoutMs).unref()
    const onGone = (): void => wait.abort(context.signal.reason)
    if (context.signal.aborted) onGone()
    else context.signal.addEventListener('abort', onGone, { once: true })
    try {
      return await this.#locker.acquire(id, {
        signal: wait.signal,
        requestRelease: options.requestRelease ?? true,
        wait: options.wait ?? true,
      })
    } catch (error) {
      if (timedOut && !context.signal.aborted) throw new LockTimeout(id, timeoutMs)
      // The request's signal says so at shutdown, or the locker closing rejects its waiters with it.
      if (context.signal.reason instanceof ShutdownRequested || error instanceof ShutdownRequested) throw new ShuttingDown()
      throw error
    } finally {
      clearTimeout(timer)
      context.signal.removeEventListener('abort', onGone)
    }
  }

  /**
   * Runs `work` holding the lock of `id`, and releases it after. A `LockLoss` the work meets (a store call on
   * the lock's aborted `lost` signal) becomes the fact `LockLost`, which clients are told to retry; a
   * `ShutdownRequested` (a store call on the request's signal when the gateway stops: a concatenation's copy)
   * becomes `ShuttingDown`.
   */
  async withLock<T>(id: string, context: RequestContext, work: (lock: Lock) => Promise<T>, options: LockOptions = {}): Promise<T> {
    const lock = await this.lock(id, context, options)
    try {
      return await work(lock)
    } catch (error) {
      if (error instanceof LockLoss) throw new LockLost(id)
      if (error instanceof ShutdownRequested) throw new ShuttingDown()
      throw error
    } finally {
      await lock.release()
    }
  }
}
