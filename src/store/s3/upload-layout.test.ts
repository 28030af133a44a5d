import { describe, expect, it } from 'vitest'
import type { ListedPart } from './s3-multipart.js'
import { layoutOf, MissingParts } from './upload-layout.js'

function part(number: number, size = 100, lastModified = 1000 + number): ListedPart {
  return { number, size, etag: `"etag-${number}"`, lastModified }
}

describe('layoutOf, on uploads the gateway wrote (a record on .part)', () => {
  it('counts the committed parts and the .part bytes', () => {
    const layout = layoutOf([part(1), part(2)], { size: 30, committedParts: 2, updatedAt: 5000 })
    expect(layout).toMatchObject({ offset: 230, tail: 30, recorded: true, leftovers: 0, updatedAt: 5000 })
    expect(layout.parts.map((p) => p.number)).toEqual([1, 2])
  })

  it('ignores parts past the committed ones: an append that crashed, or one rolled back', () => {
    const layout = layoutOf([part(3), part(1), part(2), part(4)], { size: 30, committedParts: 2 })
    expect(layout).toMatchObject({ offset: 230, tail: 30, leftovers: 2 })
  })

  it('reads a fresh upload (an empty record, no part) as offset 0', () => {
    expect(layoutOf([], { size: 0, committedParts: 0 })).toMatchObject({ offset: 0, tail: 0, recorded: true, parts: [] })
  })

  it('throws MissingParts when a committed part is not listed', () => {
    expect(() => layoutOf([part(1), part(3)], { size: 0, committedParts: 3 })).toThrow(MissingParts)
  })

  it('takes the newest part or .part date when the record has no time', () => {
    expect(layoutOf([part(1, 100, 7000), part(2, 100, 6000)], { size: 0, committedParts: 2, lastModified: 6500 }).updatedAt).toBe(7000)
  })
})

describe('layoutOf, on uploads tusd wrote (no record)', () => {
  it('counts every part and the whole .part, as tusd does', () => {
    expect(layoutOf([part(2), part(1)], { size: 40 })).toMatchObject({ offset: 240, tail: 40, recorded: false, leftovers: 0 })
  })

  it('counts parts without a .part object, and needs no record before an append', () => {
    expect(layoutOf([part(1), part(2), part(3)], undefined)).toMatchObject({ offset: 300, tail: 0, recorded: true })
  })

  it('stops at the first missing part; the .part bytes after a gap do not count', () => {
    const layout = layoutOf([part(1), part(3)], { size: 40 })
    expect(layout).toMatchObject({ offset: 100, tail: 0, leftovers: 1, recorded: false })
  })

  it('needs a record before an append when parts lie past a gap, even without .part', () => {
    expect(layoutOf([part(1), part(3)], undefined)).toMatchObject({ offset: 100, recorded: false, leftovers: 1 })
  })

  it('reads no parts and no .part as offset 0', () => {
    expect(layoutOf([], undefined)).toMatchObject({ offset: 0, tail: 0, recorded: true })
  })
})
