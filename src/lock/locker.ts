import type { StopRequested } from '../model/stop-reasons.js'

/** A held lock on one upload. */
export interface Lock {
  /**
   * Aborts when the holder must let go: `ReleaseRequested` (another request waits), `StopRequested`
   * (someone asked the upload to stop), `LockLoss` (the lock could not be kept: the holder must stop
   * writing at once). A holder doing something short may finish it first; one streaming a body stops.
   */
  readonly signal: AbortSignal
  /**
   * Aborts (with `LockLoss`) only when the lock is lost, even after `signal` aborted for another reason:
   * what a holder still writes after a release request (a state, a finish) stops then. Never aborts for
   * a locker that cannot lose locks.
   */
  readonly lost: AbortSignal
  /** Grows with every grant of this id, across processes for a shared locker; stores that write conditionally can refuse a stale one. */
  readonly fence: number
  /**
   * For a lock held by a lease: aborts `signal` and `lost` (with `LockLoss`) at once when the lease has run
   * out by the clock, which its timers learn late after the process was paused. Holders call it before they
   * write. Absent for locks that cannot run out (memory, file).
   */
  checkHeld?(): void
  /** Lets go of the lock and hands it to the next waiter, if any. Safe to call twice. */
  release(): Promise<void>
}

export interface AcquireOptions {
  /** Aborts the wait (acquire-lock timeout, client gone); `acquire` then rejects with `signal.reason`. */
  readonly signal: AbortSignal
  /**
   * Whether to ask the holder to release (default true). False waits without disturbing it (the expiration
   * sweeper, which only wants uploads nobody uses).
   */
  readonly requestRelease?: boolean
  /**
   * Whether to wait for a held lock (default true). False takes the lock only if it is free now and
   * otherwise rejects at once with `LockBusy`, disturbing nobody (a final upload looking at its partials).
   */
  readonly wait?: boolean
}

/**
 * Grants exclusive access to an upload, and asks the holder to let go when someone else needs it.
 * Waiters wake on events, never by polling in a loop. Every locker passes the shared conformance suite
 * (`resumable-gateway/testing`: `runLockerSuite`).
 *
 * Contract: FIFO among waiters; when a lock is handed to a waiter while others still wait, the new holder's
 * signal aborts at once (`ReleaseRequested`), so a queue of short requests never waits behind a long one.
 * `acquire` rejects with `LockBusy` when too many wait for one id already, and with `LockerUnavailable`
 * when the locker cannot be reached.
 */
export interface Locker {
  acquire(id: string, options: AcquireOptions): Promise<Lock>
  /**
   * Asks the holder of `id`, in whichever process, to stop (its lock's signal aborts with `reason`),
   * without taking the lock; a no-op when nobody holds it.
   */
  requestStop(id: string, reason: StopRequested): Promise<void>
  /** Frees what the locker holds (connections, timers); held locks are released. */
  close(): Promise<void>
}
