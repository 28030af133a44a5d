import { describe, expect, it } from 'vitest'
import { SENTINEL_ID, SENTINEL_INDEX, blockId, blockIndex } from './block-ids.js'

describe('block ids', () => {
  it('encodes indexes as tusd does: base64 of 4 little-endian bytes', () => {
    expect(blockId(0)).toBe('AAAAAA==')
    expect(blockId(1)).toBe('AQAAAA==')
    expect(blockId(256)).toBe('AAEAAA==')
    expect(blockId(49_999)).toBe('T8MAAA==')
    expect(SENTINEL_ID).toBe('////fw==')
  })

  it('decodes every id it encodes, the sentinel included', () => {
    for (const index of [0, 1, 255, 256, 65_535, 49_999, SENTINEL_INDEX, 0xffffffff]) expect(blockIndex(blockId(index))).toBe(index)
  })

  it('refuses indexes that are not 32-bit unsigned integers', () => {
    for (const index of [-1, 1.5, 2 ** 32, Number.NaN]) expect(() => blockId(index), String(index)).toThrow(RangeError)
  })

  it('gives no index for ids that are not the canonical base64 of 4 bytes', () => {
    for (const id of ['', 'AAAA', 'AAAAAAAA', 'AAAAAB==', 'YmxvY2stMDAwMDAx', 'AAAAAA=', '!!!!!!==']) expect(blockIndex(id), id).toBeUndefined()
  })
})
