import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { HeaderError } from '../header-error.js'
import { parseDeferLength, parseMetadata, parseNonNegativeInteger, serializeMetadata } from './headers.js'

/** Runs `parse` and reports its result, or the error it threw. */
function attempt<T>(parse: () => T): { value: T } | { error: unknown } {
  try {
    return { value: parse() }
  } catch (error) {
    return { error }
  }
}

// Strings built from pieces that matter to the grammars, so that near-misses are common, not just noise.
const integerish = fc.string({
  unit: fc.constantFrom('0', '1', '7', '9', ' ', '\t', '-', '+', '.', 'e', 'x', '١', '\u00a0', ','),
  maxLength: 20,
})
const metadataish = fc.string({
  unit: fc.constantFrom('k', 'é', ' ', '  ', ',', '=', '==', '+', '/', 'Zm9v', 'YQ', 'Y', '\t', '@', '\n'),
  maxLength: 30,
})

// tus 1.0.0 Upload-Metadata: keys are non-empty and contain no spaces or commas.
const metadataKey = fc.string({ unit: 'binary', minLength: 1, maxLength: 12 }).filter((key) => /^[^\s,]+$/.test(key))
// Any Unicode text (no lone surrogates: those are not UTF-8), or no value at all.
const metadataValue = fc.option(fc.string({ unit: 'binary', minLength: 1, maxLength: 40 }), { nil: null })
const metadataEntries = fc.uniqueArray(fc.tuple(metadataKey, metadataValue), { selector: ([key]) => key, maxLength: 8 })

describe('parseNonNegativeInteger', () => {
  it('[T-02, T-03] accepts ASCII digits after trimming up to 2^53 - 1, and nothing else', () => {
    fc.assert(
      fc.property(fc.oneof(integerish, fc.string({ unit: 'binary' })), (value) => {
        const result = attempt(() => parseNonNegativeInteger('Upload-Offset', value))
        if (/^\d+$/.test(value.trim()) && Number.isSafeInteger(Number(value.trim()))) {
          expect(result).toEqual({ value: Number(value.trim()) })
        } else {
          expect(result).toHaveProperty('error')
          expect((result as { error: unknown }).error).toBeInstanceOf(HeaderError)
        }
      }),
      { numRuns: 2000 },
    )
  })

  it('reads back every integer up to 2^53 - 1, with or without surrounding blanks', () => {
    fc.assert(
      fc.property(fc.maxSafeNat(), fc.constantFrom('', ' ', '\t'), (n, blank) => {
        expect(parseNonNegativeInteger('Upload-Length', `${blank}${n}${blank}`)).toBe(n)
      }),
    )
  })

  it('rejects what parseInt would half-read: "12abc", "x", "-1", "1.5", "1e3", ""', () => {
    for (const value of ['12abc', 'x', '-1', '+1', '1.5', '1e3', '', ' ', '0x10', '1 2', '١٢']) {
      expect(() => parseNonNegativeInteger('Upload-Offset', value), value).toThrow(/must be a non-negative integer/)
    }
  })

  it('takes 10^15 and 2^53 - 1, and says a larger integer is too large rather than not an integer', () => {
    expect(parseNonNegativeInteger('Upload-Length', '1000000000000000')).toBe(1e15)
    expect(parseNonNegativeInteger('Upload-Length', '9007199254740991')).toBe(Number.MAX_SAFE_INTEGER)
    for (const value of ['9007199254740992', '18446744073709551615', '9'.repeat(400)]) {
      expect(() => parseNonNegativeInteger('Upload-Length', value), value).toThrow(/is more than 9007199254740991, the largest this server takes/)
    }
  })

  it('names the header in its error', () => {
    expect(() => parseNonNegativeInteger('Upload-Offset', 'x')).toThrow(/^Upload-Offset: /)
    const error = attempt(() => parseNonNegativeInteger('Upload-Length', 'x'))
    expect(error).toMatchObject({ error: { header: 'Upload-Length' } })
  })
})

describe('parseDeferLength', () => {
  it('[T-27] accepts only 1', () => {
    expect(parseDeferLength('1')).toBe(true)
    expect(parseDeferLength(' 1 ')).toBe(true)
    fc.assert(
      fc.property(fc.oneof(integerish, fc.string()), (value) => {
        fc.pre(value.trim() !== '1')
        expect(() => parseDeferLength(value)).toThrow(HeaderError)
      }),
    )
  })
})

describe('Upload-Metadata', () => {
  it('[T-31] round-trips any valid keys with UTF-8 values or no value: parse(serialize(x)) equals x', () => {
    fc.assert(
      fc.property(metadataEntries, (entries) => {
        const metadata = Object.fromEntries(entries)
        const parsed = parseMetadata(serializeMetadata(metadata))
        expect(new Map(Object.entries(parsed))).toEqual(new Map(entries))
      }),
      { numRuns: 500 },
    )
  })

  it('[T-31] serializes values as base64 and leaves a key without value bare', () => {
    expect(serializeMetadata({ filename: 'world_domination_plan.pdf', is_confidential: null })).toBe(
      'filename d29ybGRfZG9taW5hdGlvbl9wbGFuLnBkZg==,is_confidential',
    )
    expect(parseMetadata('filename d29ybGRfZG9taW5hdGlvbl9wbGFuLnBkZg==,is_confidential')).toEqual({
      filename: 'world_domination_plan.pdf',
      is_confidential: null,
    })
  })

  it('[T-31] rejects duplicate keys, extra parts and values that are not base64', () => {
    for (const value of ['a YQ==,a Yg==', 'a YQ== x', 'a @@@@', 'a Y', ',', 'a YQ==,', ' , ']) {
      expect(() => parseMetadata(value), value).toThrow(HeaderError)
    }
  })

  it('throws HeaderError on malformed input, never anything else', () => {
    fc.assert(
      fc.property(fc.oneof(metadataish, fc.string({ unit: 'binary' })), (value) => {
        const result = attempt(() => parseMetadata(value))
        if ('error' in result) expect(result.error).toBeInstanceOf(HeaderError)
        else expect(typeof result.value).toBe('object')
      }),
      { numRuns: 2000 },
    )
  })

  it('cannot be used to pollute object prototypes', () => {
    const parsed = parseMetadata('__proto__ YQ==,constructor Yg==')
    expect(Object.getPrototypeOf(parsed)).toBe(Object.prototype)
    expect(Object.entries(parsed)).toEqual([
      ['__proto__', 'a'],
      ['constructor', 'b'],
    ])
    expect(({} as Record<string, unknown>).a).toBeUndefined()
  })
})
