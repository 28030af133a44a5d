import type { Lock, Locker } from '../lock/locker.js'
import { LockTimeout, ShuttingDown } from '../model/errors.js'
import { ShutdownRequested } from '../model/stop-reasons.js'

/**
 * Takes an upload's lock for a request, asking the holder to release. Throws LockTimeout when the holder
 * does not let go within `timeoutMs`, ShuttingDown when the gateway stops meanwhile, and the request
 * signal's reason when the client goes away.
 */
export async function acquireLock(
  locker: Locker,
  id: string,
  options: { signal: AbortSignal; timeoutMs: number; onReleaseRequested: () => void },
): Promise<Lock> {
  const timeout = AbortSignal.timeout(options.timeoutMs)
  try {
    return await locker.acquire(id, {
      signal: AbortSignal.any([options.signal, timeout]),
      onReleaseRequested: options.onReleaseRequested,
    })
  } catch (error) {
    if (timeout.aborted) throw new LockTimeout(id, options.timeoutMs)
    if (options.signal.reason instanceof ShutdownRequested) throw new ShuttingDown()
    throw error
  }
}
