import { isCoreError, type CoreError } from '../../model/errors.js'
import { HeaderError, RequestRejected } from '../header-error.js'
import { deliveryStatus } from '../http/delivery-status.js'
import type { Answer } from '../../model/answer.js'
import type { Problem } from './problem.js'
import { DraftRefusal } from './refusal.js'

/**
 * Maps each core fact to the draft's answer, a problem (RFC 9457). The switch is exhaustive: a new
 * core error that is not mapped here fails to compile. Status codes follow R-43: a 4xx tells the
 * client not to resume, a 5xx (or no answer) lets it resume from an offset retrieval.
 */
export function coreErrorProblem(error: CoreError): Problem {
  switch (error.code) {
    case 'UPLOAD_NOT_FOUND':
      // -01 to -05: "If the server does not consider the upload resource to be active, it MUST respond with 404".
      return { status: 404, detail: error.message }
    case 'OFFSET_MISMATCH':
      // 409 with the correct Upload-Offset; the problem names both offsets.
      return {
        status: 409,
        type: 'mismatching-upload-offset',
        detail: error.message,
        members: { 'expected-offset': error.expected, 'provided-offset': error.provided },
        headers: { 'upload-offset': String(error.expected) },
      }
    case 'LENGTH_EXCEEDED':
      // content past the known length is an inconsistent length (-04/-05: "reject the request with 400").
      return { status: 400, type: 'inconsistent-upload-length', detail: error.message }
    case 'LENGTH_MISMATCH':
    case 'LENGTH_BELOW_OFFSET':
      // lengths indicated by several requests must match.
      return { status: 400, type: 'inconsistent-upload-length', detail: error.message }
    case 'MAX_SIZE_EXCEEDED':
      // over max-size; the codec adds Upload-Limit to the 413.
      return { status: 413, detail: error.message }
    case 'UPLOAD_INCOMPLETE':
      return { status: 409, detail: error.message }
    case 'LOCK_TIMEOUT':
      // Transient: a 5xx lets the client retry the offset retrieval.
      return { status: 503, detail: error.message, headers: { 'retry-after': '1' } }
    case 'UPLOAD_INTERRUPTED':
      // §4.6: a newer request for the upload took over; this client has moved on (4xx: do not resume this request).
      return { status: 400, detail: error.message }
    case 'NETWORK_TIMEOUT':
      // The bytes that arrived are kept: a 5xx invites the client to resume from them.
      return { status: 500, detail: error.message }
    case 'BODY_INCOMPLETE':
      return { status: 400, detail: error.message }
    case 'SHUTTING_DOWN':
      // The bytes that arrived are kept (as a 507's or a store's 503): the offset saves the client a retrieval.
      return { status: 503, detail: error.message, headers: { 'retry-after': '5', ...offsetOf(error.offset) } }
    case 'NOT_SUPPORTED':
      return { status: 501, detail: error.message }
    case 'CHECKSUM_MISMATCH':
      return { status: 400, detail: error.message }
    case 'UPLOAD_EXPIRED':
      // past its lifetime the upload resource is inaccessible; 410 while the gateway remembers it.
      return { status: 410, detail: error.message }
    case 'FINAL_UPLOAD_IMMUTABLE':
      return { status: 403, detail: error.message }
    case 'PARTIAL_UPLOAD_AWAITED':
      return { status: 409, detail: error.message }
    case 'PARTIAL_UPLOAD_INVALID':
    case 'TOO_MANY_PARTIALS':
      return { status: 400, detail: error.message }
    case 'APPEND_TOO_LARGE':
      // over max-append-size; the codec adds Upload-Limit.
      return { status: 413, detail: error.message }
    case 'HOOK_REJECTED':
      return answered({ status: error.hook === 'pre-access' ? 403 : 400, detail: error.message }, error.answer)
    case 'HOOK_FAILED':
      // Fails closed; a 5xx lets the client retry. The cause is in the log only.
      return { status: 503, detail: error.message, headers: { 'retry-after': '5' } }
    case 'UPLOAD_STOPPED':
      return answered({ status: 400, detail: error.message }, error.answer)
    case 'LOCK_LOST':
      // Transient: a 5xx lets the client retry the offset retrieval; what the request stored is kept.
      return { status: 503, detail: error.message, headers: { 'retry-after': '1', ...offsetOf(error.offset) } }
    case 'LOCK_BUSY':
    case 'LOCKER_UNAVAILABLE':
      // Transient: a 5xx lets the client retry the offset retrieval.
      return { status: 503, detail: error.message, headers: { 'retry-after': '1' } }
    case 'STORAGE_FULL':
      return { status: 507, detail: error.message, headers: { 'retry-after': '60', ...offsetOf(error.offset) } }
    case 'STORE_UNAVAILABLE':
      return { status: 503, detail: error.message, headers: { 'retry-after': '5', ...offsetOf(error.offset) } }
    case 'TOO_MANY_OPEN_FILES':
      // A shortage that passes as other requests finish: a 5xx lets the client retry.
      return { status: 503, detail: error.message, headers: { 'retry-after': '5' } }
    case 'DELIVERY_FAILED':
      // Upstream mode: a gateway's 5xx (R-43: the client may resume; the codec adds `Upload-Complete: ?0`).
      return { status: deliveryStatus(error.reason), detail: error.message, headers: error.reason === 'busy' ? { 'retry-after': '5' } : {} }
  }
}

/** The problem for an error a draft request may meet (undefined for any other), and its name for the request log. */
export function knownProblem(thrown: unknown): { problem: Problem; error: string } | undefined {
  if (thrown instanceof DraftRefusal) return { problem: thrown.problem, error: thrown.code }
  if (isCoreError(thrown)) return { problem: coreErrorProblem(thrown), error: thrown.code }
  if (thrown instanceof HeaderError) return { problem: { status: 400, detail: thrown.message }, error: 'HEADER' }
  if (thrown instanceof RequestRejected) {
    return { problem: { status: thrown.status, detail: thrown.message, headers: thrown.headers }, error: 'REJECTED' }
  }
  return undefined
}

/** A problem with a hook's answer laid over it (status, headers; its body becomes the detail). */
function answered(problem: Problem, answer: Answer): Problem {
  return {
    ...problem,
    ...(answer.status !== undefined && answer.status > 0 ? { status: answer.status } : {}),
    ...(answer.body !== undefined && answer.body !== '' ? { detail: answer.body } : {}),
    headers: { ...problem.headers, ...lowerCased(answer.headers ?? {}) },
  }
}

function lowerCased(headers: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value]))
}

function offsetOf(offset: number | undefined): Record<string, string> {
  return offset === undefined ? {} : { 'upload-offset': String(offset) }
}
