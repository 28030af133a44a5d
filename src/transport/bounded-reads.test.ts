import { PassThrough, Readable } from 'node:stream'
import { describe, expect, it } from 'vitest'
import { boundedReads } from './bounded-reads.js'

async function collect(source: Readable, maxChunk: number): Promise<Buffer[]> {
  const chunks: Buffer[] = []
  for await (const chunk of boundedReads(source, maxChunk)) chunks.push(chunk)
  return chunks
}

describe('boundedReads', () => {
  it('joins chunks that arrived together, never beyond the cap, keeping every byte in order', async () => {
    const source = new PassThrough()
    // 40 chunks of 1 KiB are buffered before the first read.
    const parts = Array.from({ length: 40 }, (_, i) => Buffer.alloc(1024, i))
    for (const part of parts) source.write(part)
    source.end()
    const chunks = await collect(source, 16 * 1024)
    expect(Buffer.concat(chunks).equals(Buffer.concat(parts))).toBe(true)
    expect(chunks.map((c) => c.length)).toEqual([16 * 1024, 16 * 1024, 8 * 1024])
  })

  it('yields what has arrived without waiting to fill a chunk', async () => {
    const source = new PassThrough()
    const iterator = boundedReads(source, 64 * 1024)[Symbol.asyncIterator]()
    source.write('first')
    expect((await iterator.next()).value?.toString()).toBe('first')
    source.end('second')
    expect((await iterator.next()).value?.toString()).toBe('second')
    expect((await iterator.next()).done).toBe(true)
  })

  it('throws the error of a failing source', async () => {
    const source = new PassThrough()
    source.write('part')
    setImmediate(() => source.destroy(new Error('connection reset')))
    await expect(collect(source, 1024)).rejects.toThrow('connection reset')
  })

  it('throws when the source closes before its end', async () => {
    const source = new PassThrough()
    source.write('part')
    setImmediate(() => source.destroy())
    await expect(collect(source, 1024)).rejects.toThrow(/premature close/i)
  })

  it('leaves the source open when the consumer stops early', async () => {
    const source = Readable.from(['a', 'b', 'c'].map((s) => Buffer.from(s)), { objectMode: false })
    for await (const chunk of boundedReads(source, 1)) {
      expect(chunk.toString()).toBe('a')
      break
    }
    expect(source.destroyed).toBe(false)
  })
})
