import type { OutgoingHttpHeaders } from 'node:http'
import type { CoreError } from '../../model/errors.js'
import { withAnswer } from '../answer.js'
import { deliveryStatus } from '../http/delivery-status.js'
import { textResponse, type ProtocolResponse } from '../response.js'

/**
 * Maps each core fact to tus 1.0.0's answer. The switch is exhaustive: a new core error that
 * is not mapped here fails to compile.
 */
export function tusErrorResponse(error: CoreError): ProtocolResponse {
  const headers: OutgoingHttpHeaders = {}
  switch (error.code) {
    case 'UPLOAD_NOT_FOUND':
      // T-12/T-19: unknown upload; no Upload-Offset.
      return textResponse(404, error.message)
    case 'OFFSET_MISMATCH':
      // T-17: 409 without touching the upload. The current offset helps a client resume.
      headers['upload-offset'] = String(error.expected)
      return textResponse(409, error.message, headers)
    case 'LENGTH_EXCEEDED':
    case 'MAX_SIZE_EXCEEDED':
      // T-34: over the maximum or past Upload-Length: 413.
      return textResponse(413, error.message)
    case 'LENGTH_MISMATCH':
    case 'LENGTH_BELOW_OFFSET':
      return textResponse(400, error.message)
    case 'UPLOAD_INCOMPLETE':
      return textResponse(409, error.message)
    case 'LOCK_TIMEOUT':
      // 423 is what tus-js-client retries on, and what tusd clients know.
      return textResponse(423, error.message)
    case 'UPLOAD_INTERRUPTED':
      // tusd answers an interrupted holder with 400; its client has usually gone.
      return textResponse(400, error.message)
    case 'NETWORK_TIMEOUT':
      // As tusd: a 5xx so that clients retry, and resume from the stored offset.
      return textResponse(500, error.message)
    case 'BODY_INCOMPLETE':
      return textResponse(400, error.message)
    case 'SHUTTING_DOWN':
      if (error.offset !== undefined) headers['upload-offset'] = String(error.offset)
      return textResponse(503, error.message, { ...headers, 'retry-after': '5' })
    case 'NOT_SUPPORTED':
      return textResponse(501, error.message)
    case 'CHECKSUM_MISMATCH':
      // T-43: 460 Checksum Mismatch; the chunk was discarded and the offset did not move.
      return textResponse(460, error.message)
    case 'UPLOAD_EXPIRED':
      // T-41: 410 while the gateway keeps track of the expired upload.
      return textResponse(410, error.message)
    case 'FINAL_UPLOAD_IMMUTABLE':
      // T-57: PATCH against a final upload is 403 and changes nothing.
      return textResponse(403, error.message)
    case 'PARTIAL_UPLOAD_INVALID':
    case 'TOO_MANY_PARTIALS':
      // T-51: Upload-Concat must name partial uploads of this server.
      return textResponse(400, error.message)
    case 'APPEND_TOO_LARGE':
      return textResponse(413, error.message)
    case 'PARTIAL_UPLOAD_AWAITED':
      // Removing it would leave the final upload waiting for ever; the upload is untouched.
      return textResponse(409, error.message)
    case 'HOOK_REJECTED':
      // tusd's answers (and its hook servers' expectations), with the hook's HTTPResponse merged in.
      return withAnswer(rejection(error.hook), error.answer)
    case 'HOOK_FAILED':
      // Fails closed: nothing was changed; a 5xx makes clients retry later. The cause is in the log only.
      return textResponse(503, error.message, { 'retry-after': '5' })
    case 'UPLOAD_STOPPED':
      return withAnswer(textResponse(400, `ERR_UPLOAD_STOPPED: ${error.message}`), error.answer)
    case 'LOCK_LOST':
      if (error.offset !== undefined) headers['upload-offset'] = String(error.offset)
      return textResponse(503, error.message, { ...headers, 'retry-after': '1' })
    case 'LOCKER_UNAVAILABLE':
      return textResponse(503, error.message, { 'retry-after': '1' })
    case 'LOCK_BUSY':
      // As LOCK_TIMEOUT: 423, which tus-js-client retries.
      return textResponse(423, error.message, { 'retry-after': '1' })
    case 'STORAGE_FULL':
      // RFC 4918 §11.5; the bytes that fit are kept, and the offset says how many.
      if (error.offset !== undefined) headers['upload-offset'] = String(error.offset)
      return textResponse(507, error.message, { ...headers, 'retry-after': '60' })
    case 'STORE_UNAVAILABLE':
      if (error.offset !== undefined) headers['upload-offset'] = String(error.offset)
      return textResponse(503, error.message, { ...headers, 'retry-after': '5' })
    case 'TOO_MANY_OPEN_FILES':
      // A shortage that passes as other requests finish: a 5xx the client retries, not a bare 500.
      return textResponse(503, error.message, { 'retry-after': '5' })
    case 'DELIVERY_FAILED':
      // Upstream mode: 502/504, or 503 when busy; tus clients retry a 5xx with a HEAD, which delivers again.
      return textResponse(deliveryStatus(error.reason), error.message, error.reason === 'busy' ? { 'retry-after': '5' } : {})
  }
}

/** tusd's answer to a refusal by a hook (pre-access is ours: 403). */
function rejection(hook: 'pre-access' | 'pre-create' | 'pre-finish' | 'pre-terminate'): ProtocolResponse {
  switch (hook) {
    case 'pre-create':
      return textResponse(400, 'ERR_UPLOAD_REJECTED: upload creation has been rejected by server')
    case 'pre-terminate':
      return textResponse(400, 'ERR_UPLOAD_TERMINATION_REJECTED: upload termination has been rejected by server')
    case 'pre-finish':
      return textResponse(400, 'ERR_UPLOAD_REJECTED: upload has been rejected by server')
    case 'pre-access':
      return textResponse(403, 'ERR_ACCESS_DENIED: access to this upload has been denied by server')
  }
}
