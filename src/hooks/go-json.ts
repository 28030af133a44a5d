/**
 * A JSON encoder that writes what Go's `encoding/json` (`json.Marshal`, Go 1.22 and later) writes, byte
 * for byte, for the shapes tusd's hook payloads use: struct fields in declaration order (a plain object,
 * its keys in insertion order), maps with their keys sorted (`GoMap`), `null` for nil maps and slices,
 * and Go's escaping of strings.
 */
export type GoValue = null | boolean | number | string | readonly GoValue[] | GoMap | { readonly [field: string]: GoValue }

/** A Go map: encoded with its keys sorted by their UTF-8 bytes, as `encoding/json` sorts them. */
export class GoMap {
  constructor(readonly entries: Readonly<Record<string, GoValue>>) {}
}

/** The compact JSON Go writes for `value`. Throws RangeError for a number that is not a safe integer (no int64 can be one). */
export function goJson(value: GoValue): string {
  if (value === null) return 'null'
  if (typeof value === 'boolean') return value ? 'true' : 'false'
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) throw new RangeError(`not an integer Go would write: ${value}`)
    return String(value)
  }
  if (typeof value === 'string') return goString(value)
  if (Array.isArray(value)) return `[${value.map((item: GoValue) => goJson(item)).join(',')}]`
  if (value instanceof GoMap) {
    const keys = Object.keys(value.entries).sort((a, b) => Buffer.compare(goBytes(a), goBytes(b)))
    return `{${keys.map((key) => `${goString(key)}:${goJson(value.entries[key] as GoValue)}`).join(',')}}`
  }
  const struct = value as { readonly [field: string]: GoValue }
  return `{${Object.keys(struct).map((key) => `${goString(key)}:${goJson(struct[key] as GoValue)}`).join(',')}}`
}

// Printable ASCII that needs no escape: most header values and ids, written as they are.
const PLAIN = /^[\x20\x21\x23-\x25\x27-\x3b\x3d\x3f-\x5b\x5d-\x7e]*$/

const SHORT_ESCAPES: Readonly<Record<number, string>> = {
  0x08: '\\b',
  0x09: '\\t',
  0x0a: '\\n',
  0x0c: '\\f',
  0x0d: '\\r',
  0x22: '\\"',
  0x5c: '\\\\',
}

/**
 * A string as Go writes it: `"` and `\` escaped, control characters as `\b \f \n \r \t` or `\u00XX`,
 * `<`, `>`, `&` as `\u003c`, `\u003e`, `\u0026` (HTML-safe by default), U+2028 and U+2029 escaped, and
 * bytes that are not UTF-8 as `\ufffd`: here a lone surrogate, which is how a metadata value keeps a byte
 * that was not UTF-8 (see model/upload.ts). Everything else, non-ASCII text included, is written as it is.
 */
export function goString(text: string): string {
  if (PLAIN.test(text)) return `"${text}"`
  let out = '"'
  for (let index = 0; index < text.length; index += 1) {
    const unit = text.charCodeAt(index)
    const short = SHORT_ESCAPES[unit]
    if (short !== undefined) out += short
    else if (unit < 0x20 || unit === 0x3c || unit === 0x3e || unit === 0x26 || unit === 0x2028 || unit === 0x2029) out += `\\u${unit.toString(16).padStart(4, '0')}`
    else if (unit >= 0xd800 && unit <= 0xdbff && index + 1 < text.length && isLowSurrogate(text.charCodeAt(index + 1))) {
      out += text.slice(index, index + 2)
      index += 1
    } else if (unit >= 0xd800 && unit <= 0xdfff) out += '\\ufffd'
    else out += text[index]
  }
  return `${out}"`
}

/**
 * The bytes Go holds for a string, to sort map keys as Go does: UTF-8, where a lone surrogate U+DC80 to
 * U+DCFF stands for the byte that was not UTF-8 (model/upload.ts), and any other lone surrogate for U+FFFD.
 */
function goBytes(text: string): Buffer {
  if (!/[\ud800-\udfff]/.test(text)) return Buffer.from(text)
  const parts: Buffer[] = []
  for (const character of text) {
    const code = character.codePointAt(0) as number
    parts.push(code >= 0xdc80 && code <= 0xdcff ? Buffer.of(code - 0xdc00) : Buffer.from(character))
  }
  return Buffer.concat(parts)
}

function isLowSurrogate(unit: number): boolean {
  return unit >= 0xdc00 && unit <= 0xdfff
}
