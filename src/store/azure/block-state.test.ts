import { describe, expect, it } from 'vitest'
import { SENTINEL_ID, blockId } from './block-ids.js'
import { readBlockState } from './block-state.js'

const block = (index: number, size: number) => ({ id: blockId(index), size })
const sentinel = { id: SENTINEL_ID, size: 1 }
const plain = { length: 100, final: false }

describe('readBlockState', () => {
  it('reads no blob as an empty, unfinished upload', () => {
    expect(readBlockState(undefined, plain)).toEqual({ offset: 0, finished: false, staged: [] })
  })

  it('counts the uncommitted data blocks and leaves the sentinel out, as tusd does', () => {
    expect(readBlockState({ committed: [], uncommitted: [sentinel] }, plain)).toEqual({ offset: 0, finished: false, staged: [] })
    // Azure lists blocks by id, not by index: 256 (AAEAAA==) comes before 1 (AQAAAA==).
    const uncommitted = [block(0, 10), block(256, 7), sentinel, block(1, 20), ...Array.from({ length: 254 }, (_, i) => block(i + 2, 1))]
    const state = readBlockState({ committed: [], uncommitted }, plain)
    expect(state.offset).toBe(10 + 20 + 254 + 7)
    expect(state.staged.map((staged) => staged.id)).toEqual(Array.from({ length: 257 }, (_, i) => blockId(i)))
  })

  it('reads a blob without uncommitted blocks that holds the whole length as finished', () => {
    expect(readBlockState({ committed: [block(0, 60), block(1, 40)], uncommitted: [] }, plain)).toEqual({ offset: 100, finished: true, staged: [] })
    expect(readBlockState({ committed: [], uncommitted: [] }, { length: 0, final: false })).toEqual({ offset: 0, finished: true, staged: [] })
  })

  it('counts only the run of indexes from 0: a block past a gap is not stored', () => {
    const state = readBlockState({ committed: [], uncommitted: [sentinel, block(0, 5), block(1, 5), block(3, 5)] }, plain)
    expect(state).toMatchObject({ offset: 10, finished: false })
    expect(state.staged).toHaveLength(2)
    expect(readBlockState({ committed: [], uncommitted: [block(1, 5)] }, plain).offset).toBe(0)
  })

  it('ignores uncommitted blocks whose ids are not tusd indexes', () => {
    const foreign = { id: Buffer.from('block-000001').toString('base64'), size: 9 }
    expect(readBlockState({ committed: [], uncommitted: [block(0, 4), foreign] }, plain).offset).toBe(4)
  })

  it('reads a blob committed before its upload was complete as unfinished, its blocks to be staged again', () => {
    const committed = [block(0, 30), block(1, 20)]
    expect(readBlockState({ committed, uncommitted: [] }, plain)).toEqual({ offset: 50, finished: false, staged: [], toRestage: committed })
    expect(readBlockState({ committed, uncommitted: [] }, { length: undefined, final: false })).toMatchObject({ offset: 50, finished: false })
    // Once some are staged again, the staged ones are what counts, as for tusd.
    const restaging = readBlockState({ committed, uncommitted: [block(0, 30)] }, plain)
    expect(restaging).toMatchObject({ offset: 30, finished: false })
    expect(restaging.toRestage).toBeUndefined()
  })

  it('reads a final upload as whole or empty: blocks of a concatenation that stopped half-way count for nothing', () => {
    const final = { length: 100, final: true }
    expect(readBlockState({ committed: [], uncommitted: [sentinel, block(0, 60)] }, final)).toEqual({ offset: 0, finished: false, staged: [] })
    expect(readBlockState({ committed: [block(0, 60)], uncommitted: [] }, { length: undefined, final: true })).toEqual({ offset: 0, finished: false, staged: [] })
    expect(readBlockState({ committed: [block(0, 60), block(1, 40)], uncommitted: [] }, final)).toMatchObject({ offset: 100, finished: true })
  })
})
