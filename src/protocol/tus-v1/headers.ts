import { excerpt, HeaderError } from '../header-error.js'
import { decodeMetadataValue, encodeMetadataValue } from './metadata-value.js'

// tus 1.0.0: offsets and lengths are non-negative integers. A strict grammar, not parseInt:
// "12abc" or "x" must be rejected, not read as 12 or NaN.
const DIGITS = /^\d+$/

/**
 * Reads a header that must be a non-negative integer, up to the largest a double holds exactly
 * (2^53 - 1, 8 PiB; tusd takes 64-bit values). Throws HeaderError saying which rule the value broke.
 */
export function parseNonNegativeInteger(header: string, value: string): number {
  const trimmed = value.trim()
  if (!DIGITS.test(trimmed)) throw new HeaderError(header, `must be a non-negative integer, got "${excerpt(value)}"`)
  const number = Number(trimmed)
  if (!Number.isSafeInteger(number)) throw new HeaderError(header, `"${excerpt(trimmed)}" is more than ${Number.MAX_SAFE_INTEGER}, the largest this server takes`)
  return number
}

/** T-27: `Upload-Defer-Length` must be exactly 1. Throws HeaderError. */
export function parseDeferLength(value: string): true {
  if (value.trim() !== '1') throw new HeaderError('Upload-Defer-Length', `must be 1, got "${excerpt(value)}"`)
  return true
}

const METADATA_KEY = /^[^\s,]+$/
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/

/**
 * T-31: `Upload-Metadata` is a comma-separated list of `key base64value` pairs; keys are unique,
 * non-empty and contain no spaces or commas; a value may be omitted (it is then null).
 * Throws HeaderError naming what is wrong.
 */
export function parseMetadata(value: string): Record<string, string | null> {
  const metadata: Record<string, string | null> = Object.create(null)
  if (value.trim() === '') return metadata
  for (const pair of value.split(',')) {
    const parts = pair.trim().split(' ')
    const [key, encoded, ...rest] = parts
    if (key === undefined || key === '' || rest.length > 0) {
      throw new HeaderError('Upload-Metadata', `"${excerpt(pair.trim())}" is not a "key base64value" pair`)
    }
    if (!METADATA_KEY.test(key)) throw new HeaderError('Upload-Metadata', `key "${excerpt(key)}" is not allowed`)
    if (key in metadata) throw new HeaderError('Upload-Metadata', `key "${excerpt(key)}" appears twice`)
    if (encoded === undefined || encoded === '') {
      metadata[key] = encoded === undefined ? null : ''
      continue
    }
    if (!BASE64.test(encoded) || encoded.length % 4 === 1) {
      throw new HeaderError('Upload-Metadata', `value of "${excerpt(key)}" is not base64`)
    }
    // Any bytes, not only UTF-8 text: HEAD must give them back as they came (T-33).
    metadata[key] = decodeMetadataValue(Buffer.from(encoded, 'base64'))
  }
  return { ...metadata }
}

/** Writes metadata back in `Upload-Metadata` form, keys in their stored order, each value the bytes sent (T-33). */
export function serializeMetadata(metadata: Readonly<Record<string, string | null>>): string {
  return Object.entries(metadata)
    .map(([key, value]) => (value === null || value === '' ? key : `${key} ${encodeMetadataValue(value).toString('base64')}`))
    .join(',')
}
