import { describe, expect, it } from 'vitest'
import { checkSizing, partSizeFor, S3_LIMITS } from './part-size.js'

const MiB = 1024 * 1024
const sizing = { partSize: 50 * MiB, minPartSize: 5 * MiB, maxParts: S3_LIMITS.maxParts, maxPartSize: S3_LIMITS.maxPartSize }

describe('partSizeFor', () => {
  it('keeps the preferred size while 10,000 parts of it hold the upload, and for deferred lengths', () => {
    for (const length of [undefined, 0, 1, 50 * MiB, 50 * MiB * 10_000]) expect(partSizeFor(sizing, length), `${length}`).toBe(50 * MiB)
  })

  it('grows the parts of larger uploads so that 10,000 of them hold it (tusd: rounded up)', () => {
    const length = 50 * MiB * 10_000 + 1
    const size = partSizeFor(sizing, length)
    expect(size).toBe(Math.ceil(length / 10_000))
    expect(size * 10_000).toBeGreaterThanOrEqual(length)
    // 5 TiB, the largest object, in parts of about 525 MiB.
    expect(partSizeFor(sizing, S3_LIMITS.maxObjectSize)).toBe(Math.ceil(S3_LIMITS.maxObjectSize / 10_000))
  })

  it('refuses an upload that even the largest parts cannot hold', () => {
    expect(() => partSizeFor(sizing, S3_LIMITS.maxPartSize * 10_000 + 1)).toThrow(RangeError)
  })
})

describe('checkSizing', () => {
  it('takes tusd defaults and R2-style equal sizes', () => {
    expect(() => checkSizing(sizing)).not.toThrow()
    expect(() => checkSizing({ ...sizing, minPartSize: 50 * MiB })).not.toThrow()
  })

  it('refuses a part size below the minimum or above the largest part, and non-numbers', () => {
    expect(() => checkSizing({ ...sizing, partSize: 4 * MiB })).toThrow(/minimum part size/)
    expect(() => checkSizing({ ...sizing, partSize: 6 * 1024 * MiB })).toThrow(/largest part/)
    expect(() => checkSizing({ ...sizing, partSize: 1.5 })).toThrow(/partSize/)
    expect(() => checkSizing({ ...sizing, minPartSize: 0 })).toThrow(/minPartSize/)
  })
})
