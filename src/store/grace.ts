import { LockLoss } from '../model/stop-reasons.js'

/** A signal that aborts some time after another one, and how to stop watching. */
export interface Grace {
  readonly signal: AbortSignal
  /** Stops the timer and the watching (the signal then never aborts); call it once the work is done. */
  dispose(): void
}

/**
 * A signal that aborts `graceMs` after `signal` does (with its reason), so that work already under way when
 * a request is asked to let go (a block on its way to Azure, a piece on its way to GCS, the last bytes that arrived) gets a short while
 * to finish instead of being thrown away, and never more. A lost lock gets no grace: another holder may
 * write now, and a block staged after it could overwrite that holder's.
 */
export function graceAfter(signal: AbortSignal, graceMs: number): Grace {
  const controller = new AbortController()
  let timer: NodeJS.Timeout | undefined
  const start = (): void => {
    if (signal.reason instanceof LockLoss) controller.abort(signal.reason)
    else timer = setTimeout(() => controller.abort(signal.reason), graceMs)
  }
  if (signal.aborted) start()
  else signal.addEventListener('abort', start, { once: true })
  return {
    signal: controller.signal,
    dispose() {
      signal.removeEventListener('abort', start)
      clearTimeout(timer)
    },
  }
}
