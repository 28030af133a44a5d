import type { Metadata } from '../../model/upload.js'

// What one HTTP header name may be (RFC 9110 token): S3 user metadata travels as `x-amz-meta-<key>`.
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/
// tusd's `nonPrintableRegexp`: every character a header value cannot hold becomes `?` ("Menü" -> "Men?").
const NOT_PRINTABLE = /[^\x09\x20-\x7E]/gu
// AWS S3 takes at most 2 KB of user metadata (names and values) per object.
const METADATA_BUDGET = 2048

/**
 * The S3 object metadata of an upload, as tusd's s3store writes it on the multipart upload (and so on
 * the finished object): every tus metadata pair, values with characters a header cannot carry replaced
 * by `?`, and `filetype` as the Content-Type. Unlike tusd, pairs whose key cannot be a header name are
 * left out (tusd's request fails on them), and so are pairs past S3's 2 KB, in the order given (tusd's
 * creation fails); the `.info` object keeps every pair as sent either way.
 */
export function objectMetadataOf(metadata: Metadata): { metadata: Record<string, string>; contentType?: string } {
  const chosen: Record<string, string> = {}
  let used = 0
  for (const [key, value] of Object.entries(metadata)) {
    if (!TOKEN.test(key)) continue
    const printable = (value ?? '').replace(NOT_PRINTABLE, '?')
    const cost = key.length + printable.length
    if (used + cost > METADATA_BUDGET) continue
    used += cost
    // defineProperty: a key such as `__proto__` stays a plain key.
    Object.defineProperty(chosen, key.toLowerCase(), { value: printable, enumerable: true, writable: true, configurable: true })
  }
  const filetype = metadata['filetype']
  const contentType = typeof filetype === 'string' ? filetype.replace(NOT_PRINTABLE, '?').trim() : undefined
  return { metadata: chosen, ...(contentType === undefined || contentType === '' ? {} : { contentType }) }
}
