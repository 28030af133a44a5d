import { describe, expect, it } from 'vitest'
import { blockId } from './block-ids.js'
import { BlockBuffers } from './block-buffers.js'
import type { Block } from './block-state.js'
import { BlockWriter } from './block-writer.js'

const NEVER = new AbortController().signal

/** A writer over a fake Azure that records staged blocks; `stage` may be replaced to delay or fail. */
function writer(options: { blockSize: number; buffers?: BlockBuffers; signal?: AbortSignal; stage?: (index: number, bytes: Buffer, signal: AbortSignal) => Promise<void> }) {
  const staged: { index: number; bytes: Buffer }[] = []
  const confirmed: Block[] = []
  let inFlight = 0
  let mostInFlight = 0
  const buffers = options.buffers ?? new BlockBuffers(1024 * 1024)
  let mostHeld = 0
  const blocks = new BlockWriter({
    buffers,
    blockSize: options.blockSize,
    firstIndex: 3,
    signal: options.signal ?? NEVER,
    stageSignal: NEVER,
    async stage(index, bytes, signal) {
      inFlight++
      mostInFlight = Math.max(mostInFlight, inFlight)
      mostHeld = Math.max(mostHeld, buffers.held)
      try {
        await (options.stage ?? (() => new Promise<void>((resolve) => setImmediate(resolve))))(index, bytes, signal)
        // A copy: the buffer goes back to the pool once the block is staged.
        staged.push({ index, bytes: Buffer.from(bytes) })
      } finally {
        inFlight--
      }
    },
    onStaged: (block) => confirmed.push(block),
  })
  return { blocks, staged, confirmed, buffers, mostInFlight: () => mostInFlight, mostHeld: () => mostHeld }
}

const bytes = (size: number, seed = 1): Buffer => Buffer.from(Array.from({ length: size }, (_, i) => (i * 31 + seed) & 0xff))

describe('BlockWriter', () => {
  it('cuts chunks into full blocks in order and stages the short rest at the end', async () => {
    const { blocks, staged, confirmed, buffers } = writer({ blockSize: 10 })
    const data = bytes(37)
    for (const [from, to] of [[0, 3], [3, 4], [4, 25], [25, 37]]) await blocks.write(data.subarray(from, to))
    await blocks.end()
    expect(staged.map(({ index, bytes }) => [index, bytes.length])).toEqual([[3, 10], [4, 10], [5, 10], [6, 7]])
    expect(Buffer.concat(staged.map((block) => block.bytes)).equals(data)).toBe(true)
    expect(confirmed).toEqual([10, 10, 10, 7].map((size, i) => ({ id: blockId(3 + i), size })))
    expect(buffers.held).toBe(0)
  })

  it('stages nothing for no bytes, and a block of exactly the block size once', async () => {
    const empty = writer({ blockSize: 8 })
    await empty.blocks.end()
    expect(empty.staged).toEqual([])
    const exact = writer({ blockSize: 8 })
    await exact.blocks.write(bytes(8))
    await exact.blocks.end()
    expect(exact.staged.map((block) => block.bytes.length)).toEqual([8])
  })

  it('keeps one block in flight and one filling: never more than two buffers', async () => {
    const { blocks, staged, mostInFlight, mostHeld } = writer({
      blockSize: 100,
      stage: () => new Promise((resolve) => setTimeout(resolve, 5)),
    })
    for (let i = 0; i < 50; i++) await blocks.write(bytes(33, i))
    await blocks.end()
    expect(staged).toHaveLength(17)
    expect(mostInFlight()).toBe(1)
    expect(mostHeld()).toBeLessThanOrEqual(200)
  })

  it('stages no block after one that failed, throws its failure and frees its buffers', async () => {
    const failure = new Error('azure is down')
    const { blocks, staged, confirmed, buffers } = writer({
      blockSize: 10,
      stage: async (index) => {
        if (index === 4) throw failure
      },
    })
    await blocks.write(bytes(10))
    await blocks.write(bytes(10))
    // The third block waits for the second, which failed.
    await expect(blocks.write(bytes(10))).rejects.toBe(failure)
    await expect(blocks.write(bytes(5))).rejects.toBe(failure)
    await expect(blocks.end()).rejects.toBe(failure)
    expect(staged.map((block) => block.index)).toEqual([3])
    expect(confirmed).toHaveLength(1)
    expect(blocks.failure?.error).toBe(failure)
    expect(blocks.uncertain).toBe(true)
    expect(buffers.held).toBe(0)
  })

  it('drops what finds no memory once its signal aborts, and still stages what it holds', async () => {
    const buffers = new BlockBuffers(10)
    const other = await buffers.acquire(10, NEVER)
    const controller = new AbortController()
    const { blocks, staged } = writer({ blockSize: 10, buffers, signal: controller.signal })
    const waiting = blocks.write(bytes(4))
    controller.abort(new Error('let go'))
    await waiting
    buffers.release(other)
    await blocks.end()
    expect(staged).toEqual([])
    expect(buffers.held).toBe(0)
  })
})
