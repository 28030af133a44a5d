import type { IncomingHttpHeaders } from 'node:http'
import { contentCodings } from '../http/content-encoding.js'
import { mediaType } from '../http/media-type.js'

// RFC 9110 §8.3.1 media type (type "/" subtype) with optional parameters, visible ASCII only.
const MEDIA_TYPE = /^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}\/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}(\s*;\s*[\x21-\x7e][\x20-\x7e]*)?$/
// Types that describe a request's framing, not the representation: a client resuming with
// tus-js-client sends them on creation requests that carry data.
const TRANSFER_TYPES = new Set(['application/partial-upload', 'application/offset+octet-stream'])
const MAX_FILENAME = 255

/**
 * the representation metadata of a creation request as the upload's metadata, with the
 * keys tus clients and tusd hooks know: `filetype` from `Content-Type`, `filename` from
 * `Content-Disposition` (`filename*` preferred, RFC 6266 §4.3), and `content-encoding` (the bytes are
 * kept as sent, so a download says how they are coded). Values are validated and sanitized; anything
 * unusable is left out rather than refused.
 */
export function metadataFromRequest(headers: IncomingHttpHeaders): Record<string, string> {
  const metadata: Record<string, string> = {}
  const type = headers['content-type']?.trim()
  if (type !== undefined && MEDIA_TYPE.test(type) && !TRANSFER_TYPES.has(mediaType(headers) ?? '')) {
    metadata.filetype = type
  }
  const disposition = headers['content-disposition']
  const filename = disposition === undefined ? undefined : filenameOf(disposition)
  if (filename !== undefined) metadata.filename = filename
  const codings = contentCodings(headers['content-encoding'])
  if (codings !== undefined) metadata['content-encoding'] = codings
  return metadata
}

/** The file name a `Content-Disposition` value carries, sanitized; undefined if none is usable. */
export function filenameOf(disposition: string): string | undefined {
  const parameters = dispositionParameters(disposition)
  const extended = parameters.get('filename*')
  const name = (extended === undefined ? undefined : decodeExtendedValue(extended)) ?? parameters.get('filename')
  return name === undefined ? undefined : sanitizeFilename(name)
}

/** The parameters of a `Content-Disposition` value, names in lower case, quoted strings unescaped. */
function dispositionParameters(value: string): Map<string, string> {
  const parameters = new Map<string, string>()
  // disposition-type, then `; name=token` or `; name="quoted \" string"`.
  const PARAMETER = /;\s*([A-Za-z0-9!#$&+.^_`|~*-]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^;\s]*)/g
  for (const match of value.matchAll(PARAMETER)) {
    const [, name = '', raw = ''] = match
    const key = name.toLowerCase()
    if (parameters.has(key)) continue
    parameters.set(key, raw.startsWith('"') ? raw.slice(1, -1).replace(/\\(.)/g, '$1') : raw)
  }
  return parameters
}

/** RFC 8187 `charset'language'percent-encoded`; only UTF-8 (and its ASCII subset) is decoded. */
function decodeExtendedValue(value: string): string | undefined {
  const match = /^(UTF-8|ISO-8859-1|US-ASCII)'[^']*'(.*)$/i.exec(value)
  if (match === null) return undefined
  const [, charset = '', encoded = ''] = match
  try {
    if (charset.toUpperCase() === 'UTF-8') return decodeURIComponent(encoded)
    // ISO-8859-1 bytes are the first 256 code points.
    return encoded.replace(/%([0-9A-Fa-f]{2})/g, (_match, hex: string) => String.fromCharCode(parseInt(hex, 16)))
  } catch {
    return undefined
  }
}

/**
 * a name that is safe to store and to send back in a header: no control characters, no path
 * (only the last segment of `a/b\c`), not `.`/`..`, at most 255 characters.
 */
function sanitizeFilename(name: string): string | undefined {
  const base = name.split(/[\\/]/).pop() ?? ''
  const cleaned = base.replace(/[\u0000-\u001f\u007f]/g, '').trim().slice(0, MAX_FILENAME)
  return cleaned === '' || cleaned === '.' || cleaned === '..' ? undefined : cleaned
}
