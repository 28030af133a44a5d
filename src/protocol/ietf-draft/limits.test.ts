import { describe, expect, it } from 'vitest'
import { DraftRefusal } from './refusal.js'
import { checkAppendSize, maxContent, offersResumption, uploadLimitValue } from './limits.js'
import { INTEROP_VERSIONS } from './versions.js'

const NONE = { maxSize: 0, minSize: 0, maxAppendSize: 0, minAppendSize: 0 }
const SOME = { maxSize: 1000, minSize: 10, maxAppendSize: 100, minAppendSize: 20 }
const row = (version: number) => INTEROP_VERSIONS.find((candidate) => candidate.version === version)!

describe('uploadLimitValue', () => {
  it('[R-25] is min-size=0 when there are no limits', () => {
    expect(uploadLimitValue(NONE, 'max-age')).toBe('min-size=0')
  })

  it('[R-22] lists the limits that exist, and the lifetime under the key given', () => {
    expect(uploadLimitValue(SOME, 'expires', 60)).toBe('max-size=1000, min-size=10, max-append-size=100, min-append-size=20, expires=60')
    expect(uploadLimitValue({ ...NONE, maxSize: 5 }, 'max-age', 0)).toBe('max-size=5, max-age=0')
  })

  it('never announces a negative lifetime', () => {
    expect(uploadLimitValue(NONE, 'max-age', -3)).toBe('max-age=0')
  })
})

describe('checkAppendSize', () => {
  it('[R-18] refuses an append over max-append-size with 413', () => {
    expect(() => checkAppendSize(row(8), SOME, { size: 101, complete: false, creation: false })).toThrow(DraftRefusal)
    checkAppendSize(row(8), SOME, { size: 100, complete: false, creation: false })
  })

  it('[R-19] refuses a small append unless it completes the upload or is an empty creation', () => {
    expect(() => checkAppendSize(row(8), SOME, { size: 19, complete: false, creation: false })).toThrow(/min-append-size/)
    checkAppendSize(row(8), SOME, { size: 1, complete: true, creation: false })
    checkAppendSize(row(9), SOME, { size: 0, complete: false, creation: true })
    expect(() => checkAppendSize(row(9), SOME, { size: 5, complete: false, creation: true })).toThrow(DraftRefusal)
  })

  it('applies to creations from -12 only, and not to versions without Upload-Limit', () => {
    checkAppendSize(row(8), SOME, { size: 1000, complete: false, creation: true })
    checkAppendSize(row(5), SOME, { size: 1000, complete: false, creation: false })
    expect(maxContent(row(8), SOME, { size: undefined, complete: false, creation: true })).toBeUndefined()
    expect(maxContent(row(9), SOME, { size: undefined, complete: false, creation: true })).toBe(100)
  })
})

describe('offersResumption', () => {
  it('[R-17] needs a known length of at least min-size, for versions that announce limits', () => {
    expect(offersResumption(row(6), SOME, 10)).toBe(true)
    expect(offersResumption(row(6), SOME, 9)).toBe(false)
    expect(offersResumption(row(6), SOME, undefined)).toBe(false)
    expect(offersResumption(row(5), SOME, undefined)).toBe(true)
    expect(offersResumption(row(6), NONE, undefined)).toBe(true)
  })
})
