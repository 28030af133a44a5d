// tus 1.0.0, Upload-Metadata: "metadata can contain arbitrary binary values", and HEAD MUST echo each value
// "as specified by the Client". Values are kept as strings (what `.info` files and every protocol use), so
// bytes that are not UTF-8 are kept the way Python's `surrogateescape` (PEP 383) keeps them: byte 0xXY becomes
// the lone surrogate U+DCXY, which no UTF-8 text can produce. Text round-trips as itself, bytes as themselves.

// ignoreBOM keeps a leading U+FEFF: it is part of the value.
const fatal = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })
const ESCAPE_BASE = 0xdc00

/** The bytes of a metadata value as a string: UTF-8 text as is, every other byte as a lone surrogate U+DC80-U+DCFF. */
export function decodeMetadataValue(bytes: Uint8Array): string {
  try {
    return fatal.decode(bytes)
  } catch {
    let text = ''
    for (let at = 0; at < bytes.length; ) {
      const size = sequenceSize(bytes[at] ?? 0)
      const sequence = size === 0 ? undefined : decodeExactly(bytes.subarray(at, at + size))
      if (sequence === undefined) {
        text += String.fromCharCode(ESCAPE_BASE + (bytes[at] ?? 0))
        at += 1
      } else {
        text += sequence
        at += size
      }
    }
    return text
  }
}

/** The bytes a metadata value stands for: the inverse of `decodeMetadataValue`. */
export function encodeMetadataValue(value: string): Buffer {
  if (!/[\udc80-\udcff]/.test(value)) return Buffer.from(value, 'utf8')
  const parts: Buffer[] = []
  // for-of walks code points: a surrogate pair is one character, so only lone surrogates match below.
  for (const character of value) {
    const code = character.codePointAt(0) ?? 0
    parts.push(code >= 0xdc80 && code <= 0xdcff ? Buffer.of(code - ESCAPE_BASE) : Buffer.from(character, 'utf8'))
  }
  return Buffer.concat(parts)
}

// The length a UTF-8 lead byte announces; 0 for a byte that cannot start a sequence.
function sequenceSize(lead: number): number {
  if (lead < 0x80) return 1
  if (lead >= 0xc2 && lead <= 0xdf) return 2
  if (lead >= 0xe0 && lead <= 0xef) return 3
  if (lead >= 0xf0 && lead <= 0xf4) return 4
  return 0
}

// One well-formed UTF-8 sequence (no overlong forms, surrogates or code points past U+10FFFF), or undefined.
function decodeExactly(sequence: Uint8Array): string | undefined {
  try {
    return fatal.decode(sequence)
  } catch {
    return undefined
  }
}
