import { describe, expect, it } from 'vitest'
import { runStoreSuite } from '../conformance.suite.js'
import { MemoryStore } from './memory-store.js'

const memory = (options: ConstructorParameters<typeof MemoryStore>[0]) => async () => ({ store: new MemoryStore(options), cleanup: async () => {} })

runStoreSuite('memory', { make: memory({}) })
// 1000: not a power of two, so that parts never line up with the suite's chunks.
runStoreSuite('memory with parts of 1000 bytes', { make: memory({ minPartSize: 1000 }) })
runStoreSuite('memory extending the ids it is given', { make: memory({ extendIds: true }) })

const NEVER = new AbortController().signal
async function* body(...parts: string[]): AsyncGenerator<Uint8Array> {
  for (const part of parts) yield Buffer.from(part)
}

describe('MemoryStore is strict where a real backend would be', () => {
  it('refuses to read or finish an upload that is not complete and finished', async () => {
    const store = new MemoryStore()
    const upload = await store.create({ id: 'a', length: 3, metadata: {} }, NEVER)
    await upload.append(body('ab'), NEVER)
    await expect(upload.finish(NEVER)).rejects.toMatchObject({ code: 'UPLOAD_INCOMPLETE', offset: 2, length: 3 })
    await upload.append(body('c'), NEVER)
    await expect(upload.read(undefined, NEVER)).rejects.toMatchObject({ code: 'UPLOAD_INCOMPLETE', offset: 3 })
    await upload.finish(NEVER)
    await expect(upload.read(undefined, NEVER)).resolves.toBeDefined()
  })

  it('refuses bytes past the length, keeping those up to it', async () => {
    const store = new MemoryStore()
    const upload = await store.create({ id: 'a', length: 3, metadata: {} }, NEVER)
    await expect(upload.append(body('ab', 'cd'), NEVER)).rejects.toBeInstanceOf(RangeError)
    expect(upload.state.offset).toBe(3)
    expect((await store.open('a', NEVER)).state.offset).toBe(3)
  })

  it('refuses appends to a final upload, to a finished upload, and through a handle that missed a write', async () => {
    const store = new MemoryStore()
    const final = await store.create({ id: 'f', length: 1, metadata: {}, concat: { kind: 'final', partials: ['p'] } }, NEVER)
    await expect(final.append(body('x'), NEVER)).rejects.toBeInstanceOf(RangeError)
    const upload = await store.create({ id: 'a', length: 2, metadata: {} }, NEVER)
    const stale = await store.open('a', NEVER)
    await upload.append(body('a'), NEVER)
    await expect(stale.append(body('b'), NEVER)).rejects.toThrow('changed since this handle read it')
    await expect(stale.update({ completionPending: true }, NEVER)).rejects.toThrow('changed since this handle read it')
    await upload.append(body('b'), NEVER)
    await upload.finish(NEVER)
    await expect(upload.append(body(), NEVER)).rejects.toThrow('it is finished')
  })

  it('concatenates only finished partial uploads', async () => {
    const store = new MemoryStore()
    const partial = await store.create({ id: 'p', length: 1, metadata: {}, concat: { kind: 'partial' } }, NEVER)
    await partial.append(body('x'), NEVER)
    const final = await store.create({ id: 'f', length: 1, metadata: {}, concat: { kind: 'final', partials: ['p'] } }, NEVER)
    await expect(final.concatenate([partial], NEVER)).rejects.toMatchObject({ code: 'UPLOAD_INCOMPLETE' })
    const plain = await store.create({ id: 'x', length: 0, metadata: {} }, NEVER)
    await plain.finish(NEVER)
    await expect(final.concatenate([plain], NEVER)).rejects.toThrow('not a partial upload')
    await partial.finish(NEVER)
    expect(await final.concatenate([partial], NEVER)).toMatchObject({ offset: 1, length: 1 })
  })

  it('extends the ids it is given, as tusd s3store does', async () => {
    const store = new MemoryStore({ extendIds: true })
    const upload = await store.create({ id: 'abc', metadata: {} }, NEVER)
    expect(upload.state.id).toMatch(/^abc\+\w+$/)
    await expect(store.open('abc', NEVER)).rejects.toMatchObject({ code: 'UPLOAD_NOT_FOUND' })
    expect((await store.open(upload.state.id, NEVER)).state.id).toBe(upload.state.id)
  })

  it('declares minPartSize, and refuses one that is not a positive byte count', () => {
    expect(new MemoryStore({ minPartSize: 5 }).capabilities.minPartSize).toBe(5)
    expect(new MemoryStore().capabilities).not.toHaveProperty('minPartSize')
    for (const minPartSize of [0, -1, 1.5]) expect(() => new MemoryStore({ minPartSize })).toThrow(RangeError)
  })
})
