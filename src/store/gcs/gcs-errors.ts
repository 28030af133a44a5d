import { StoreUnavailable } from '../../model/errors.js'

/** GCS answered one of the store's requests with an error status. */
export class GcsRequestFailed extends Error {
  constructor(readonly status: number, detail: string) {
    super(`GCS answered ${status}: ${detail.slice(0, 300)}`)
    this.name = 'GcsRequestFailed'
  }
}

/** GCS did not answer within the store's request timeout. */
export class GcsTimeout extends Error {
  constructor(readonly timeoutMs: number) {
    super(`GCS did not answer within ${timeoutMs} ms`)
    this.name = 'GcsTimeout'
  }
}

// Statuses GCS's retry guidance names as transient (cloud.google.com/storage/docs/retry-strategy).
const TRANSIENT_STATUSES = new Set([408, 429, 500, 502, 503, 504])

// Socket-level failures: the service cannot be reached, or the connection broke.
const NETWORK_CODES = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'ECONNABORTED', 'EPIPE', 'ETIMEDOUT', 'ENOTFOUND', 'EAI_AGAIN',
  'EHOSTUNREACH', 'ENETUNREACH', 'ENETDOWN', 'EHOSTDOWN', 'UND_ERR_SOCKET', 'UND_ERR_CONNECT_TIMEOUT',
])

/** The HTTP status of a failed GCS call, or undefined for a failure without one. */
export function statusOf(error: unknown): number | undefined {
  if (error instanceof GcsRequestFailed) return error.status
  // gaxios (the auth client's token requests) keeps the status on the response.
  const status = (error as { response?: { status?: unknown } } | null)?.response?.status
  return typeof status === 'number' ? status : undefined
}

/**
 * Whether a failed call says GCS is unavailable for now (unreachable, overloaded, 5xx, timed out): worth
 * a retry, and, once retries are spent, a 503 for the client rather than a 500.
 */
export function isUnavailable(error: unknown): boolean {
  if (error instanceof GcsTimeout) return true
  const status = statusOf(error)
  if (status !== undefined) return TRANSIENT_STATUSES.has(status) || status >= 500
  const { code, type } = (error ?? {}) as { code?: unknown; type?: unknown }
  if (typeof code === 'string' && NETWORK_CODES.has(code.toUpperCase())) return true
  // node-fetch (under the auth client's gaxios): `system` wraps a socket error, `request-timeout` its own timer.
  return type === 'system' || type === 'request-timeout'
}

/** Whether a failed call is GCS's 404 (no such object or bucket). */
export function isNotFound(error: unknown): boolean {
  return statusOf(error) === 404
}

/** Whether a failed call is GCS's 412 (a generation precondition did not hold). */
export function isPreconditionFailed(error: unknown): boolean {
  return statusOf(error) === 412
}

/**
 * The error a store call reports for `error`: `StoreUnavailable` (a 503 with `Retry-After` for the client)
 * when GCS is unavailable, with the bytes stored so far when the call concerns an upload's bytes;
 * anything else as it is (a bare 500: a missing bucket or refused credentials need an operator).
 */
export function storeError(error: unknown, offset?: number): unknown {
  if (error instanceof StoreUnavailable || !isUnavailable(error)) return error
  return new StoreUnavailable(offset, { cause: error })
}
