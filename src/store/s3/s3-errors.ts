import { StoreUnavailable } from '../../model/errors.js'

/** What the S3 client throws: a service error with its HTTP status and code, or a network error. */
interface SdkError {
  readonly name?: string
  readonly code?: string
  readonly Code?: string
  readonly $metadata?: { readonly httpStatusCode?: number }
  readonly $retryable?: unknown
}

// Errors of the connection itself: the server is down, unreachable or went silent.
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'UND_ERR_SOCKET',
])
// Service errors that say "try again later" (AWS answers SlowDown with 503, some servers with 400 or 429).
const TRANSIENT_NAMES = new Set(['SlowDown', 'ServiceUnavailable', 'InternalError', 'RequestTimeout', 'Throttling', 'ThrottlingException', 'TimeoutError'])

function sdkError(error: unknown): SdkError | undefined {
  return typeof error === 'object' && error !== null ? (error as SdkError) : undefined
}

/** The HTTP status S3 answered with, if the error is an answer of S3. */
export function statusOf(error: unknown): number | undefined {
  return sdkError(error)?.$metadata?.httpStatusCode
}

/**
 * A 404 of S3: `NoSuchKey`, `NotFound` (HEAD), `NoSuchUpload`. radosgw answers `NoSuchKey` for a multipart
 * upload that was completed or aborted, where AWS says `NoSuchUpload`: the status is what counts.
 */
export function isNotFound(error: unknown): boolean {
  const e = sdkError(error)
  if (e === undefined) return false
  return statusOf(error) === 404 || e.name === 'NoSuchKey' || e.name === 'NoSuchUpload' || e.name === 'NotFound'
}

/**
 * True for failures that say nothing about the request but that S3 cannot be reached or is overloaded
 * now: network errors, timeouts, 5xx answers, throttling. Those become `StoreUnavailable` (a 503 with
 * `Retry-After` for the client); anything else (403, a malformed request) is a fault of ours or of the
 * configuration and stays as it is.
 */
export function isTransient(error: unknown): boolean {
  const e = sdkError(error)
  if (e === undefined) return false
  const status = statusOf(error)
  if (status !== undefined && (status >= 500 || status === 429)) return true
  if (e.name !== undefined && TRANSIENT_NAMES.has(e.name)) return true
  if (e.code !== undefined && NETWORK_CODES.has(e.code)) return true
  // A socket that ended without an answer: no status, and the client marks it retryable.
  return status === undefined && e.$retryable !== undefined
}

/**
 * Turns what an S3 call threw into what the store reports: `signal.reason` once the caller's signal has
 * aborted (whatever the client made of it), `StoreUnavailable` (with `offset`, the bytes kept) for a
 * transient failure, the error itself otherwise.
 */
export function storeError(error: unknown, signal: AbortSignal | undefined, offset?: number): unknown {
  if (signal?.aborted === true) return signal.reason
  if (error instanceof StoreUnavailable) return offset === undefined || error.offset === offset ? error : new StoreUnavailable(offset, { cause: error.cause })
  if (isTransient(error) || isTimeout(error)) return new StoreUnavailable(offset, { cause: error })
  return error
}

/**
 * S3 stayed silent for a whole timeout (no connection, or no byte taken or answered on it): the client's own
 * `TimeoutError`, or the system's `ETIMEDOUT`. Not a reset connection, which the client names `TimeoutError` too
 * (`ECONNRESET`, `EPIPE`: a kept-alive connection S3 had closed, worth another attempt at once).
 */
export function isSilence(error: unknown): boolean {
  const e = sdkError(error)
  return e?.name === 'TimeoutError' && (e.code === undefined || e.code === 'ETIMEDOUT')
}

/** An abort by a timeout of ours (`AbortSignal.timeout`), which the client reports as an AbortError. */
function isTimeout(error: unknown): boolean {
  const e = sdkError(error)
  return e?.name === 'AbortError' || e?.name === 'TimeoutError'
}
