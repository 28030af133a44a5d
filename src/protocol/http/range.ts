import type { ByteRange } from '../../model/upload.js'

/** What a `Range` header asks of a representation of `size` bytes. */
export type RangeRequest =
  | { readonly kind: 'whole' }
  | { readonly kind: 'partial'; readonly range: ByteRange }
  | { readonly kind: 'unsatisfiable' }

const SINGLE_RANGE = /^bytes=(\d{0,15})-(\d{0,15})$/

/**
 * RFC 9110 §14.2: a single byte range (`a-b`, `a-`, `-n`). Several ranges, other units or a
 * malformed value are ignored (the whole representation is served), which the RFC allows.
 */
export function parseRange(value: string | undefined, size: number): RangeRequest {
  if (value === undefined) return { kind: 'whole' }
  const match = SINGLE_RANGE.exec(value.trim())
  if (match === null) return { kind: 'whole' }
  const [, first = '', last = ''] = match
  if (first === '' && last === '') return { kind: 'whole' }
  if (first === '') {
    const suffix = Number(last)
    if (suffix === 0 || size === 0) return { kind: 'unsatisfiable' }
    return { kind: 'partial', range: { start: Math.max(0, size - suffix), end: size } }
  }
  const start = Number(first)
  const end = last === '' ? size : Math.min(Number(last) + 1, size)
  if (last !== '' && Number(last) < start) return { kind: 'whole' }
  if (start >= size) return { kind: 'unsatisfiable' }
  return { kind: 'partial', range: { start, end } }
}
