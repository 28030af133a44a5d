import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { HeaderError } from '../header-error.js'
import { completenessField, DraftFields } from './fields.js'
import { parseBoolean, parseNonNegativeInteger } from './sf-values.js'
import { INTEROP_VERSIONS } from './versions.js'

const row = (version: number) => {
  const found = INTEROP_VERSIONS.find((candidate) => candidate.version === version)
  if (found === undefined) throw new Error(`no row ${version}`)
  return found
}

describe('[R-06] [R-11] parseNonNegativeInteger', () => {
  it('accepts exactly the SF Integers from 0 to 15 digits, parameters allowed', () => {
    expect(parseNonNegativeInteger('0')).toBe(0)
    expect(parseNonNegativeInteger(' 42 ')).toBe(42)
    expect(parseNonNegativeInteger('7;a=1')).toBe(7)
    expect(parseNonNegativeInteger('999999999999999')).toBe(999999999999999)
  })

  it.each([['-1'], ['1.5'], ['1.0'], ['?1'], ['abc'], ['1000000000000000'], ['5, 6'], [''], ['+5'], ['0x10']])('refuses %j', (value) => {
    expect(parseNonNegativeInteger(value)).toBeUndefined()
  })

  it('agrees with a strict digits grammar on any input', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 20 }), (value) => {
        const parsed = parseNonNegativeInteger(value)
        if (/^ *\d{1,15} *$/.test(value)) expect(parsed).toBe(Number(value))
        else if (!value.includes(';')) expect(parsed).toBeUndefined()
      }),
    )
  })
})

describe('[R-08] parseBoolean', () => {
  it('reads ?1 and ?0 only', () => {
    expect(parseBoolean('?1')).toBe(true)
    expect(parseBoolean('?0')).toBe(false)
    for (const value of ['?2', '1', 'true', 'TRUE', '"?1"', '?1, ?0', '']) expect(parseBoolean(value)).toBeUndefined()
  })
})

describe('DraftFields', () => {
  it('reads Upload-Incomplete inverted in interop 3, Upload-Complete from 4', () => {
    expect(new DraftFields({ 'upload-incomplete': '?1' }, row(3)).complete()).toBe(false)
    expect(new DraftFields({ 'upload-complete': '?1' }, row(3)).complete()).toBeUndefined()
    expect(new DraftFields({ 'upload-complete': '?1' }, row(4)).complete()).toBe(true)
  })

  it('[R-06] [R-08] refuses a value of the wrong type up to interop 7 and ignores it from 8 (-09)', () => {
    expect(() => new DraftFields({ 'upload-offset': '-1' }, row(7)).integer('upload-offset')).toThrow(HeaderError)
    expect(new DraftFields({ 'upload-offset': '-1' }, row(8)).integer('upload-offset')).toBeUndefined()
    expect(() => new DraftFields({ 'upload-complete': 'true' }, row(7)).complete()).toThrow(/Upload-Complete/)
    expect(new DraftFields({ 'upload-complete': 'true' }, row(10)).complete()).toBeUndefined()
  })

  it('writes the completeness of a response in the row\'s name and polarity', () => {
    expect(completenessField(row(3), true)).toEqual({ 'upload-incomplete': '?0' })
    expect(completenessField(row(6), false)).toEqual({ 'upload-complete': '?0' })
  })
})
