import { describe, expect, it } from 'vitest'
import { expires, expiresAt } from './expiration.js'
import type { Upload } from '../../model/upload.js'

const unfinished: Upload = { id: 'u', offset: 1, length: 2, metadata: {}, updatedAt: 1_000 }
const finished: Upload = { id: 'f', offset: 2, length: 2, metadata: {}, updatedAt: 1_000 }

describe('expiresAt', () => {
  it('[T-39] lets an unfinished upload expire a while after its last write', () => {
    expect(expiresAt({ unfinishedAfterMs: 500, finishedAfterMs: 0 }, unfinished)).toBe(1_500)
    // A deferred length is unfinished too.
    expect(expiresAt({ unfinishedAfterMs: 500, finishedAfterMs: 0 }, { id: 'd', offset: 0, metadata: {}, updatedAt: 10 })).toBe(510)
  })

  it('never lets a finished upload expire unless asked', () => {
    expect(expiresAt({ unfinishedAfterMs: 500, finishedAfterMs: 0 }, finished)).toBeUndefined()
    expect(expiresAt({ unfinishedAfterMs: 0, finishedAfterMs: 700 }, finished)).toBe(1_700)
    expect(expiresAt({ unfinishedAfterMs: 0, finishedAfterMs: 700 }, unfinished)).toBeUndefined()
  })

  it('counts from the last activity given, and never expires an upload whose last write is unknown', () => {
    expect(expiresAt({ unfinishedAfterMs: 500, finishedAfterMs: 0 }, unfinished, 9_000)).toBe(9_500)
    const { updatedAt: _, ...unknown } = unfinished
    expect(expiresAt({ unfinishedAfterMs: 500, finishedAfterMs: 500 }, unknown)).toBeUndefined()
  })
})

describe('expires', () => {
  it('is on when either period is set', () => {
    expect(expires(undefined)).toBe(false)
    expect(expires({ unfinishedAfterMs: 0, finishedAfterMs: 0 })).toBe(false)
    expect(expires({ unfinishedAfterMs: 1, finishedAfterMs: 0 })).toBe(true)
    expect(expires({ unfinishedAfterMs: 0, finishedAfterMs: 1 })).toBe(true)
  })
})
