import type { Lock, Locker } from '../lock/locker.js'
import { LockTimeout, ShuttingDown } from '../model/errors.js'
import { ShutdownRequested } from '../model/stop-reasons.js'

/** How a request waits for an upload's lock. */
export interface LockRequest {
  /** The request's signal: the client went away, or the gateway shuts down. */
  readonly signal: AbortSignal
  readonly timeoutMs: number
  /** Whether to ask the holder to let go (default true); the expiration sweeper waits politely. */
  readonly requestRelease?: boolean
  /** Whether to wait for a held lock (default true); false: LockBusy at once. */
  readonly wait?: boolean
}

/**
 * Takes an upload's lock for a request, asking the holder to release. Throws LockTimeout when the holder
 * does not let go within `timeoutMs`, ShuttingDown when the gateway stops meanwhile, the request signal's
 * reason when the client goes away, and what the locker throws (LockBusy, LockerUnavailable).
 */
export async function acquireLock(locker: Locker, id: string, request: LockRequest): Promise<Lock> {
  const timeout = AbortSignal.timeout(request.timeoutMs)
  try {
    return await locker.acquire(id, {
      signal: AbortSignal.any([request.signal, timeout]),
      requestRelease: request.requestRelease ?? true,
      wait: request.wait ?? true,
    })
  } catch (error) {
    if (timeout.aborted && !request.signal.aborted) throw new LockTimeout(id, request.timeoutMs)
    // The request's signal says so at shutdown, or the locker closing rejects its waiters with it.
    if (request.signal.reason instanceof ShutdownRequested || error instanceof ShutdownRequested) throw new ShuttingDown()
    throw error
  }
}
