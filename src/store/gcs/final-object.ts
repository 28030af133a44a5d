import type { Metadata } from '../../model/upload.js'
import type { ComposeInit } from './gcs-bucket.js'

// GCS keeps at most 8 KiB of custom metadata per object (keys and values together).
const MAX_CUSTOM_METADATA_BYTES = 8 * 1024

// A media type without parameters (RFC 9110 §8.3.1 tokens): anything else is not worth trusting.
const MEDIA_TYPE = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+\/[!#$%&'*+.^_`|~0-9A-Za-z-]+$/

/**
 * What a finished upload's object `<key>` carries, as tusd's gcsstore gives it: the upload's metadata as
 * custom metadata (tusd's `SetObjectMetadata`), a key without value as "", bytes that were not UTF-8 as
 * U+FFFD (GCS takes only text). Metadata past GCS's 8 KiB is left off the object: `.info` keeps it whole.
 * The content type is `filetype` when that is a plain media type (tusd's S3 store does the same).
 */
export function finalObjectInit(metadata: Metadata): ComposeInit {
  const entries = Object.entries(metadata).map(([key, value]): [string, string] => [wellFormed(key), wellFormed(value ?? '')])
  const bytes = entries.reduce((sum, [key, value]) => sum + Buffer.byteLength(key) + Buffer.byteLength(value), 0)
  const filetype = metadata['filetype']
  return {
    contentType: typeof filetype === 'string' && MEDIA_TYPE.test(filetype) ? filetype : 'application/octet-stream',
    ...(entries.length > 0 && bytes <= MAX_CUSTOM_METADATA_BYTES ? { metadata: Object.fromEntries(entries) } : {}),
  }
}

/** `text` with lone surrogates (bytes that were not UTF-8, see model/upload.ts) replaced by U+FFFD. */
function wellFormed(text: string): string {
  return Buffer.from(text, 'utf8').toString('utf8')
}
