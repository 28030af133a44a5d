import type { OutgoingHttpHeaders } from 'node:http'
import type { CoreError } from '../../model/errors.js'
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
      return textResponse(503, error.message, { 'retry-after': '5' })
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
      // T-51: Upload-Concat must name partial uploads of this server.
      return textResponse(400, error.message)
  }
}
