/** A held lock on one upload. */
export interface Lock {
  /** Lets go of the lock and hands it to the next waiter, if any. Safe to call twice. */
  release(): Promise<void>
}

export interface AcquireOptions {
  /** Aborts the wait (acquire-lock timeout, client gone); `acquire` then rejects with `signal.reason`. */
  readonly signal: AbortSignal
  /**
   * Called while this lock is held and another request wants it. The holder should stop what it is
   * doing, keep what it has, and release. Called at most once per waiting request.
   */
  onReleaseRequested(): void
}

/**
 * Grants exclusive access to an upload, and asks the holder to let go when someone else needs it.
 * Waiters wake on events, never by polling in a loop.
 */
export interface Locker {
  acquire(id: string, options: AcquireOptions): Promise<Lock>
  /** Frees what the locker holds (connections, timers). */
  close?(): Promise<void>
}
