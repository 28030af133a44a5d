import type { Locker } from '../lock/locker.js'
import { LockLoss, ReleaseRequested, StopRequested } from '../model/stop-reasons.js'

/** Where a measured locker reports. */
export interface LockObserver {
  /** A request waited `seconds` for a lock: `acquired` it, or `failed` (timed out, refused, gave up). */
  waited(seconds: number, outcome: 'acquired' | 'failed'): void
  /** A holder was asked to let go: another request waits (`release`), a stop request (`stop`), the lock was lost (`lost`). */
  asked(reason: 'release' | 'stop' | 'lost'): void
}

/** A locker that reports how long each acquire waited and why holders were asked to let go; it behaves as `locker`. */
export function measuredLocker(locker: Locker, observer: LockObserver): Locker {
  return {
    acquire: async (id, options) => {
      const started = performance.now()
      let lock
      try {
        lock = await locker.acquire(id, options)
      } catch (error) {
        observer.waited((performance.now() - started) / 1000, 'failed')
        throw error
      }
      observer.waited((performance.now() - started) / 1000, 'acquired')
      const onAbort = (): void => {
        const { reason } = lock.signal
        if (reason instanceof ReleaseRequested) observer.asked('release')
        else if (reason instanceof StopRequested) observer.asked('stop')
        else if (reason instanceof LockLoss) observer.asked('lost')
      }
      if (lock.signal.aborted) onAbort()
      else lock.signal.addEventListener('abort', onAbort, { once: true })
      return lock
    },
    requestStop: (id, reason) => locker.requestStop(id, reason),
    close: () => locker.close(),
  }
}
