import { parseItem } from 'structured-headers'

// The draft's integers are SF Integers (RFC 8941 §3.3.1: at most 15 digits). structured-headers also
// reads decimals (`1.0` as 1), so the bare item itself must be made of digits.
const BARE_INTEGER = /^\d{1,15}$/

/**
 * An SF Item that must be a non-negative Integer (`Upload-Offset`, `Upload-Length`), parameters ignored.
 * Returns undefined for anything else: `-1`, `1.5`, `1.0`, `?1`, tokens, lists, garbage.
 */
export function parseNonNegativeInteger(value: string): number | undefined {
  try {
    const [item] = parseItem(value)
    const bare = value.trim().split(';')[0]?.trim() ?? ''
    return typeof item === 'number' && Number.isSafeInteger(item) && item >= 0 && BARE_INTEGER.test(bare) ? item : undefined
  } catch {
    return undefined
  }
}

/** An SF Item that must be a Boolean (`?0`/`?1`); undefined for anything else (`?2`, `1`, the token `true`). */
export function parseBoolean(value: string): boolean | undefined {
  try {
    const [item] = parseItem(value)
    return typeof item === 'boolean' ? item : undefined
  } catch {
    return undefined
  }
}
