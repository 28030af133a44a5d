import { RestError } from '@azure/storage-blob'
import { StoreUnavailable } from '../../model/errors.js'

/** True for Azure's answer that a blob (or its container) does not exist. */
export function isNotFound(error: unknown): boolean {
  return error instanceof RestError && error.statusCode === 404
}

/** True for Azure's answer that the blob exists already (a creation with `If-None-Match: *`). */
export function isTaken(error: unknown): boolean {
  return error instanceof RestError && (error.statusCode === 409 || error.statusCode === 412)
}

/** True for Azure's answer that a conditional request's condition failed (`If-Match`: the blob changed or is gone). */
export function isConditionFailed(error: unknown): boolean {
  return error instanceof RestError && error.statusCode === 412
}

/**
 * True for Azure's refusal to copy from a URL at all: it does not implement the call (Azurite:
 * `stageBlockFromURL`, 501), or cannot read the source through the SAS (`CannotVerifyCopySource`: an account
 * whose network rules keep Azure itself out). The copy can still be made through the gateway.
 */
export function isCopyRefused(error: unknown): boolean {
  return error instanceof RestError && (error.statusCode === 501 || error.code === 'CannotVerifyCopySource')
}

/**
 * True for a failure that says nothing about the request, only that Azure cannot be reached or answer now:
 * no HTTP answer at all (refused, reset, timed out: the SDK's retries gave up), 5xx, 408 or 429.
 */
export function isUnavailable(error: unknown): boolean {
  if (error instanceof RestError) {
    const status = error.statusCode
    return status === undefined || status >= 500 || status === 408 || status === 429
  }
  // The SDK's own per-try timeout aborts a call with an AbortError of its making, not ours.
  return error instanceof Error && error.name === 'AbortError'
}

/**
 * What a store call that failed with `error` throws: `signal.reason` once the signal has aborted (the SDK
 * rejects with its own AbortError then), `StoreUnavailable` (with the offset kept, when known) for Azure
 * out of reach, otherwise the error itself (a 500 for the client, the cause for the log).
 */
export function storeFailure(error: unknown, signal: AbortSignal, offset?: number): unknown {
  if (signal.aborted) return signal.reason
  if (isUnavailable(error)) return new StoreUnavailable(offset, { cause: error })
  return error
}
