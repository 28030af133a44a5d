import type { CoreError } from '../model/errors.js'

/**
 * The `code` label of `tusd_errors_total` for each fact: tusd's own code where tusd has one for the same
 * failure (so dashboards built for tusd count the same things), `ERR_` and ours where it has none.
 */
const CORE_CODES: Readonly<Record<CoreError['code'], string>> = {
  UPLOAD_NOT_FOUND: 'ERR_UPLOAD_NOT_FOUND',
  OFFSET_MISMATCH: 'ERR_MISMATCHED_OFFSET',
  LENGTH_EXCEEDED: 'ERR_UPLOAD_SIZE_EXCEEDED',
  MAX_SIZE_EXCEEDED: 'ERR_MAX_SIZE_EXCEEDED',
  LENGTH_MISMATCH: 'ERR_INVALID_UPLOAD_LENGTH',
  LENGTH_BELOW_OFFSET: 'ERR_INVALID_UPLOAD_LENGTH',
  UPLOAD_INCOMPLETE: 'ERR_UPLOAD_NOT_FINISHED',
  LOCK_TIMEOUT: 'ERR_LOCK_TIMEOUT',
  UPLOAD_INTERRUPTED: 'ERR_UPLOAD_INTERRUPTED',
  NETWORK_TIMEOUT: 'ERR_READ_TIMEOUT',
  BODY_INCOMPLETE: 'ERR_UNEXPECTED_EOF',
  SHUTTING_DOWN: 'ERR_SERVER_SHUTDOWN',
  NOT_SUPPORTED: 'ERR_NOT_IMPLEMENTED',
  CHECKSUM_MISMATCH: 'ERR_CHECKSUM_MISMATCH',
  UPLOAD_EXPIRED: 'ERR_UPLOAD_EXPIRED',
  FINAL_UPLOAD_IMMUTABLE: 'ERR_MODIFY_FINAL',
  PARTIAL_UPLOAD_INVALID: 'ERR_INVALID_CONCAT',
  // tusd has no unfinished concatenation, so nothing to refuse here.
  PARTIAL_UPLOAD_AWAITED: 'ERR_PARTIAL_UPLOAD_AWAITED',
  APPEND_TOO_LARGE: 'ERR_APPEND_TOO_LARGE',
  HOOK_REJECTED: 'ERR_UPLOAD_REJECTED',
  // tusd answers a failed hook with ERR_INTERNAL_SERVER_ERROR (500); the gateway answers 503 (README, hooks).
  HOOK_FAILED: 'ERR_INTERNAL_SERVER_ERROR',
  UPLOAD_STOPPED: 'ERR_UPLOAD_STOPPED',
  LOCK_LOST: 'ERR_LOCK_LOST',
  LOCK_BUSY: 'ERR_UPLOAD_LOCKED',
  LOCKER_UNAVAILABLE: 'ERR_LOCKER_UNAVAILABLE',
  STORAGE_FULL: 'ERR_STORAGE_FULL',
  STORE_UNAVAILABLE: 'ERR_STORE_UNAVAILABLE',
  // tusd answers it as any failure, ERR_INTERNAL_SERVER_ERROR (500).
  TOO_MANY_OPEN_FILES: 'ERR_TOO_MANY_OPEN_FILES',
  TOO_MANY_PARTIALS: 'ERR_INVALID_CONCAT',
  DELIVERY_FAILED: 'ERR_DELIVERY_FAILED',
}

// Answers a codec gives without a core fact, by status.
const STATUS_CODES: Readonly<Record<number, string>> = {
  404: 'ERR_UPLOAD_NOT_FOUND',
  405: 'ERR_METHOD_NOT_ALLOWED',
  412: 'ERR_UNSUPPORTED_VERSION',
  415: 'ERR_INVALID_CONTENT_TYPE',
}

/**
 * The tusd error code of an error answer: `error` is what the router names it (a core error code,
 * `HEADER`, `REJECTED`, `INTERNAL`, `CLIENT_GONE`, `SHUTTING_DOWN`, or nothing for an answer a codec
 * chose itself), `status` the status sent (a hook may have chosen it). A refusal by pre-access is told
 * apart by its default status (403), pre-terminate's by the method (a hook that chose another status for
 * a pre-access refusal is counted as the refusal of what the request asked).
 */
export function tusdErrorCode(error: string | undefined, status: number, method: string): string {
  if (error === 'HOOK_REJECTED') {
    if (status === 403) return 'ERR_ACCESS_DENIED'
    return method === 'DELETE' ? 'ERR_UPLOAD_TERMINATION_REJECTED' : 'ERR_UPLOAD_REJECTED'
  }
  if (error !== undefined && Object.hasOwn(CORE_CODES, error)) return CORE_CODES[error as CoreError['code']]
  switch (error) {
    case 'HEADER':
      return 'ERR_INVALID_HEADER'
    case 'INTERNAL':
      return 'ERR_INTERNAL_SERVER_ERROR'
    case 'CLIENT_GONE':
      return 'ERR_CONNECTION_RESET'
  }
  return STATUS_CODES[status] ?? `ERR_HTTP_${status}`
}
