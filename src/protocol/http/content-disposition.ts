// Types a browser may render inline without running script in our origin (tusd's allow-list).
// Anything else, HTML and SVG above all, is served as an attachment.
const INLINE_TYPES = new Set([
  'text/plain',
  'image/png',
  'image/jpeg',
  'image/gif',
  'image/bmp',
  'image/webp',
  'image/avif',
  'audio/wave',
  'audio/wav',
  'audio/x-wav',
  'audio/x-pn-wav',
  'audio/webm',
  'audio/ogg',
  'audio/mpeg',
  'video/webm',
  'video/ogg',
  'video/mp4',
  'application/ogg',
  'application/pdf',
])

// RFC 6838 type/subtype, without parameters.
const MEDIA_TYPE = /^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}\/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}$/

/** The media type to serve a download with: the client's `filetype` if well-formed, else octet-stream. */
export function downloadContentType(filetype: string | null | undefined): string {
  const type = filetype?.split(';')[0]?.trim().toLowerCase()
  return type !== undefined && MEDIA_TYPE.test(type) ? type : 'application/octet-stream'
}

/**
 * `Content-Disposition` for a download: `inline` only for allow-listed types, `attachment`
 * otherwise; the filename as an ASCII fallback plus RFC 8187 `filename*` for the exact name.
 */
export function contentDisposition(contentType: string, filename: string | null | undefined): string {
  const disposition = INLINE_TYPES.has(contentType) ? 'inline' : 'attachment'
  if (filename === undefined || filename === null || filename === '') return disposition
  const fallback = filename.replace(/[^\x20-\x7e]|["\\]/g, '_')
  return `${disposition}; filename="${fallback}"; filename*=UTF-8''${encodeRfc8187(filename)}`
}

// A lone surrogate (a metadata byte that is not UTF-8, see tus-v1/metadata-value.ts) has no UTF-8 form:
// encodeURIComponent would throw on it. It becomes U+FFFD, as any decoder shows it.
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g

function encodeRfc8187(value: string): string {
  const wellFormed = value.replace(LONE_SURROGATE, '\ufffd')
  return encodeURIComponent(wellFormed).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
}
