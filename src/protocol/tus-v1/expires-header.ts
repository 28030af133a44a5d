import type { OutgoingHttpHeaders } from 'node:http'
import type { Upload } from '../../model/upload.js'

/**
 * T-40: `Upload-Expires` as an RFC 9110 HTTP-date (IMF-fixdate, e.g. `Wed, 25 Jun 2014 16:00:00 GMT`) when
 * the upload will expire; nothing when it will not. Seconds are cut, not rounded: a client never sees a
 * time later than the real one.
 */
export function expiresHeaders(upload: Upload): OutgoingHttpHeaders {
  return upload.expiresAt === undefined ? {} : { 'upload-expires': new Date(upload.expiresAt).toUTCString() }
}
