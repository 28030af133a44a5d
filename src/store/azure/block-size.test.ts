import { describe, expect, it } from 'vitest'
import type { Upload } from '../../model/upload.js'
import { MAX_BLOCK_BYTES, MAX_BLOCKS } from './block-ids.js'
import { blockSizeFor } from './block-size.js'

const MiB = 1024 * 1024
const GiB = 1024 * MiB
const upload = (offset: number, length?: number): Upload => ({ id: 'x', offset, metadata: {}, ...(length === undefined ? {} : { length }) })

describe('blockSizeFor', () => {
  it('keeps the configured size for uploads that fit in 40,000 blocks of it', () => {
    expect(blockSizeFor(upload(0, GiB), 4 * MiB)).toBe(4 * MiB)
    expect(blockSizeFor(upload(0, 150 * GiB), 4 * MiB)).toBe(4 * MiB)
    expect(blockSizeFor(upload(10 * GiB), 4 * MiB)).toBe(4 * MiB)
  })

  it('grows blocks of a large upload so that it fits in Azure’s 50,000, whole MiB, at most 4000 MiB', () => {
    const length = 1024 * GiB
    const size = blockSizeFor(upload(0, length), 4 * MiB)
    expect(size % MiB).toBe(0)
    expect(Math.ceil(length / size)).toBeLessThanOrEqual(MAX_BLOCKS - 10_000)
    expect(blockSizeFor(upload(0, 190 * 1024 * GiB), 4 * MiB)).toBe(MAX_BLOCK_BYTES)
  })

  it('grows the blocks of an upload of deferred length with its offset', () => {
    expect(blockSizeFor(upload(100 * GiB), 4 * MiB)).toBe(11 * MiB)
    // Summing block by block: 2 TiB of deferred length still fits.
    let offset = 0
    let blocks = 0
    while (offset < 2 * 1024 * GiB) {
      offset += blockSizeFor(upload(offset), 4 * MiB)
      blocks++
    }
    expect(blocks).toBeLessThan(MAX_BLOCKS)
  })
})
