import { createHash } from 'node:crypto'
import type { Readable } from 'node:stream'
import { afterEach, beforeEach, describe, expect, it, type TestContext } from 'vitest'
import { UploadNotFound } from '../model/errors.js'
import { newUploadId } from '../core/upload-id.js'
import type { ByteRange, Store } from './store.js'

/** What `runStoreSuite` needs: a fresh, empty store per test, and a way to remove what it left. */
export interface StoreSuiteOptions {
  make(): Promise<{ store: Store; cleanup(): Promise<void> }>
  /** Titles of tests this store does not pass yet; each must name a test of the suite. */
  skip?: string[]
}

/**
 * Registers the vitest tests every `Store` must pass, under `describe(\`store: ${name}\`)`.
 * Tests of an optional method are skipped when the store's capabilities leave it out.
 */
export function runStoreSuite(name: string, options: StoreSuiteOptions): void {
  const skip = new Set(options.skip ?? [])
  const titles = new Set<string>()
  let store: Store
  let cleanup: (() => Promise<void>) | undefined

  // Every test is declared through this, so `skip` can be checked against the real titles.
  function test(title: string, body: (context: TestContext) => Promise<void>): void {
    titles.add(title)
    it.skipIf(skip.has(title))(title, body)
  }

  describe(`store: ${name}`, () => {
    beforeEach(async () => {
      const made = await options.make()
      store = made.store
      cleanup = made.cleanup
    })
    afterEach(async () => {
      await cleanup?.()
      cleanup = undefined
    })

    test('creates an upload at offset 0 whose metadata round-trips, null values and unicode included', async () => {
      const metadata = { filename: 'résumé 履歴書 📄.pdf', filetype: 'application/pdf', empty: '', flag: null }
      const id = newUploadId()
      const before = Date.now()
      const created = await store.create({ id, length: 42, metadata })
      expect(created).toMatchObject({ id, offset: 0, length: 42, metadata })
      const got = await store.get(id)
      expect(got).toMatchObject({ id, offset: 0, length: 42, metadata })
      // null (a key without value) and "" are different values and must both survive.
      expect(got.metadata['flag']).toBeNull()
      expect(got.metadata['empty']).toBe('')
      expect(Object.keys(got.metadata).sort()).toEqual(['empty', 'filename', 'filetype', 'flag'])
      expect(got.createdAt).toBe(created.createdAt)
      if (got.createdAt !== undefined) {
        expect(got.createdAt).toBeGreaterThanOrEqual(before)
        expect(got.createdAt).toBeLessThanOrEqual(Date.now())
      }
    })

    test('creates an upload without metadata', async () => {
      const id = newUploadId()
      await store.create({ id, length: 1, metadata: {} })
      expect((await store.get(id)).metadata).toEqual({})
    })

    test('keeps uploads apart', async () => {
      const [a, b] = [newUploadId(), newUploadId()]
      await store.create({ id: a, length: 3, metadata: { name: 'a' } })
      await store.create({ id: b, length: 5, metadata: { name: 'b' } })
      await store.append(a, 0, body('abc'))
      expect(await store.get(a)).toMatchObject({ offset: 3, length: 3, metadata: { name: 'a' } })
      expect(await store.get(b)).toMatchObject({ offset: 0, length: 5, metadata: { name: 'b' } })
    })

    test('reports an unknown id as UploadNotFound from every method', async () => {
      const id = newUploadId()
      await expect(store.get(id)).rejects.toBeInstanceOf(UploadNotFound)
      await expect(store.append(id, 0, body('x'))).rejects.toBeInstanceOf(UploadNotFound)
      if (store.declareLength) await expect(store.declareLength(id, 1)).rejects.toBeInstanceOf(UploadNotFound)
      if (store.terminate) await expect(store.terminate(id)).rejects.toBeInstanceOf(UploadNotFound)
      if (store.read) await expect(store.read(id)).rejects.toBeInstanceOf(UploadNotFound)
    })

    test('reports ids that could name another file as UploadNotFound', async () => {
      const id = newUploadId()
      await store.create({ id, length: 4, metadata: {} })
      await store.append(id, 0, body('data'))
      const invalid = ['..', '.', '', 'a/b', '../' + id, '%2F', 'x\u0000', 'abc.info', `${id}.info`, `${id}/`]
      for (const bad of invalid) {
        await expect(store.get(bad), bad).rejects.toBeInstanceOf(UploadNotFound)
        await expect(store.append(bad, 0, body('x')), bad).rejects.toBeInstanceOf(UploadNotFound)
        if (store.declareLength) await expect(store.declareLength(bad, 1), bad).rejects.toBeInstanceOf(UploadNotFound)
        if (store.terminate) await expect(store.terminate(bad), bad).rejects.toBeInstanceOf(UploadNotFound)
        if (store.read) await expect(store.read(bad), bad).rejects.toBeInstanceOf(UploadNotFound)
      }
      // None of those touched the real upload.
      expect(await store.get(id)).toMatchObject({ id, offset: 4, length: 4 })
    })

    test('appends in several pieces, each returning the offset so far', async () => {
      const id = newUploadId()
      await store.create({ id, length: 11, metadata: {} })
      expect(await store.append(id, 0, body('hel', 'lo'))).toBe(5)
      expect((await store.get(id)).offset).toBe(5)
      // A plain Uint8Array (not a Buffer) and an empty chunk are bytes like any others.
      expect(await store.append(id, 5, body(new TextEncoder().encode(' '), new Uint8Array(0)))).toBe(6)
      expect(await store.append(id, 6, body('world'))).toBe(11)
      expect(await store.get(id)).toMatchObject({ offset: 11, length: 11 })
      await expectContent(id, 'hello world')
    })

    test('appends an empty body without changing the offset', async () => {
      const id = newUploadId()
      await store.create({ id, length: 4, metadata: {} })
      await store.append(id, 0, body('ab'))
      expect(await store.append(id, 2, body())).toBe(2)
      expect((await store.get(id)).offset).toBe(2)
    })

    test('defers the length, then declares it', async ({ skip: skipTest }) => {
      skipTest(!store.capabilities.deferLength, 'the store does not defer lengths')
      const id = newUploadId()
      const created = await store.create({ id, metadata: { filename: 'later.bin' } })
      expect(created.length).toBeUndefined()
      expect(await store.append(id, 0, body('12345'))).toBe(5)
      const before = await store.get(id)
      expect(before).toMatchObject({ offset: 5, metadata: { filename: 'later.bin' } })
      expect(before.length).toBeUndefined()
      const declared = await required(store.declareLength, 'declareLength').call(store, id, 8)
      expect(declared).toMatchObject({ id, offset: 5, length: 8, metadata: { filename: 'later.bin' } })
      expect(await store.get(id)).toMatchObject({ id, offset: 5, length: 8, metadata: { filename: 'later.bin' } })
      expect(await store.append(id, 5, body('678'))).toBe(8)
      await expectContent(id, '12345678')
    })

    test('stores a zero-length upload', async () => {
      const id = newUploadId()
      expect(await store.create({ id, length: 0, metadata: {} })).toMatchObject({ offset: 0, length: 0 })
      expect(await store.get(id)).toMatchObject({ offset: 0, length: 0 })
      expect(await store.append(id, 0, body())).toBe(0)
      await expectContent(id, '')
    })

    test('terminates an upload, after which it is not found', async ({ skip: skipTest }) => {
      skipTest(!store.capabilities.terminate, 'the store does not terminate')
      const terminate = required(store.terminate, 'terminate').bind(store)
      const [id, other] = [newUploadId(), newUploadId()]
      await store.create({ id, length: 3, metadata: {} })
      await store.create({ id: other, length: 3, metadata: {} })
      await store.append(id, 0, body('abc'))
      await terminate(id)
      await expect(store.get(id)).rejects.toBeInstanceOf(UploadNotFound)
      await expect(terminate(id)).rejects.toBeInstanceOf(UploadNotFound)
      await expect(store.append(id, 3, body('d'))).rejects.toBeInstanceOf(UploadNotFound)
      expect((await store.get(other)).offset).toBe(0)
    })

    test('truncates an upload back to an earlier offset, and appends go on from there', async ({ skip: skipTest }) => {
      skipTest(!store.capabilities.truncate, 'the store does not truncate')
      const truncate = required(store.truncate, 'truncate').bind(store)
      const id = newUploadId()
      await store.create({ id, length: 6, metadata: {} })
      await store.append(id, 0, body('abcXYZ'))
      await truncate(id, 3)
      expect((await store.get(id)).offset).toBe(3)
      expect(await store.append(id, 3, body('def'))).toBe(6)
      await expectContent(id, 'abcdef')
      await expect(truncate(newUploadId(), 0)).rejects.toBeInstanceOf(UploadNotFound)
    })

    test('reads the whole upload and ranges of it, empty ones included', async ({ skip: skipTest }) => {
      skipTest(!store.capabilities.read, 'the store does not read')
      const text = 'The quick brown fox jumps over the lazy dog'
      const id = newUploadId()
      await store.create({ id, length: text.length, metadata: {} })
      await store.append(id, 0, body(text))
      await expectContent(id, text)
      const ranges: [ByteRange, string][] = [
        [{ start: 0, end: text.length }, text],
        [{ start: 0, end: 1 }, 'T'],
        [{ start: 4, end: 9 }, 'quick'],
        [{ start: 4, end: 4 }, ''],
        [{ start: 0, end: 0 }, ''],
        [{ start: text.length - 3, end: text.length }, 'dog'],
        [{ start: text.length - 1, end: text.length }, 'g'],
        [{ start: text.length, end: text.length }, ''],
      ]
      for (const [range, expected] of ranges) {
        expect((await readBytes(id, range)).toString('utf8'), JSON.stringify(range)).toBe(expected)
      }
    })

    test('keeps the bytes a body yielded before it threw, and rethrows its error', async () => {
      const id = newUploadId()
      await store.create({ id, length: 20, metadata: {} })
      await store.append(id, 0, body('0123'))
      const failure = new Error('client went away')
      await expect(store.append(id, 4, failing(failure, 'abc', 'def', 'gh'))).rejects.toBe(failure)
      expect((await store.get(id)).offset).toBe(12)
      await expectContent(id, '0123abcdefgh')
      // The upload resumes from there.
      expect(await store.append(id, 12, body('ijklmnop'))).toBe(20)
      await expectContent(id, '0123abcdefghijklmnop')
    })

    test('keeps every byte of a long burst of chunks that ends in a throw', async () => {
      const id = newUploadId()
      const chunks = Array.from({ length: 256 }, (_, i) => new Uint8Array(4096).fill(i))
      await store.create({ id, length: 2 * 256 * 4096, metadata: {} })
      const failure = new Error('reset')
      await expect(store.append(id, 0, failing(failure, ...chunks))).rejects.toBe(failure)
      expect((await store.get(id)).offset).toBe(256 * 4096)
      expect(sha256(await readBytes(id))).toBe(sha256(Buffer.concat(chunks)))
    })

    test('keeps the bytes of a body that ends before the upload is complete', async () => {
      const id = newUploadId()
      await store.create({ id, length: 100, metadata: {} })
      expect(await store.append(id, 0, body('x'.repeat(40)))).toBe(40)
      expect(await store.get(id)).toMatchObject({ offset: 40, length: 100 })
      expect(await store.append(id, 40, body('y'.repeat(10)))).toBe(50)
      expect(await store.get(id)).toMatchObject({ offset: 50, length: 100 })
      await expectContent(id, 'x'.repeat(40) + 'y'.repeat(10))
    })

    test('stores 5 MiB sent in many small chunks byte for byte', async () => {
      const size = 5 * 1024 * 1024
      const data = pseudoRandomBytes(size)
      const id = newUploadId()
      await store.create({ id, length: size, metadata: {} })
      // Chunk sizes from 1 to 4093 bytes: roughly 2,500 chunks, none aligned to anything.
      async function* pieces(): AsyncGenerator<Uint8Array> {
        for (let at = 0, n = 0; at < size; n++) {
          const length = 1 + ((n * 7919) % 4093)
          yield data.subarray(at, Math.min(size, at + length))
          at += length
        }
      }
      expect(await store.append(id, 0, pieces())).toBe(size)
      expect(await store.get(id)).toMatchObject({ offset: size, length: size })
      expect(sha256(await readBytes(id))).toBe(sha256(data))
    })

    test('keeps the role of partial and final uploads', async ({ skip: skipTest }) => {
      skipTest(!store.capabilities.concat, 'the store does not concatenate')
      const [partial, final] = [newUploadId(), newUploadId()]
      const partials = [partial, partial]
      const partialUrls = [`/files/${partial}`, `http://gateway/files/${partial}`]
      expect(await store.create({ id: partial, length: 2, metadata: {}, concat: { kind: 'partial' } })).toMatchObject({
        concat: { kind: 'partial' },
      })
      await store.create({ id: final, length: 4, metadata: { name: 'f' }, concat: { kind: 'final', partials, partialUrls } })
      expect((await store.get(partial)).concat).toEqual({ kind: 'partial' })
      expect(await store.get(final)).toMatchObject({ offset: 0, length: 4, metadata: { name: 'f' }, concat: { kind: 'final', partials, partialUrls } })
      const plain = newUploadId()
      await store.create({ id: plain, length: 1, metadata: {} })
      expect((await store.get(plain)).concat).toBeUndefined()
    })

    test('concatenates complete partial uploads into their final upload, in order, repeats included', async ({ skip: skipTest }) => {
      skipTest(!store.capabilities.concat, 'the store does not concatenate')
      const concatenate = required(store.concatenate, 'concatenate').bind(store)
      const [a, b, empty, final] = [newUploadId(), newUploadId(), newUploadId(), newUploadId()]
      const big = pseudoRandomBytes(3 * 1024 * 1024 + 17)
      await store.create({ id: a, length: big.length, metadata: {}, concat: { kind: 'partial' } })
      await store.create({ id: b, length: 6, metadata: {}, concat: { kind: 'partial' } })
      await store.create({ id: empty, length: 0, metadata: {}, concat: { kind: 'partial' } })
      await store.append(a, 0, body(big))
      await store.append(b, 0, body(' world'))
      const partials = [b, a, empty, b]
      await store.create({ id: final, length: big.length + 12, metadata: {}, concat: { kind: 'final', partials } })
      expect((await store.get(final)).offset).toBe(0)
      const done = await concatenate(final, partials)
      expect(done).toMatchObject({ id: final, offset: big.length + 12, length: big.length + 12 })
      expect(await store.get(final)).toMatchObject({ offset: big.length + 12, length: big.length + 12 })
      const expected = Buffer.concat([Buffer.from(' world'), big, Buffer.from(' world')])
      if (store.capabilities.read) expect(sha256(await readBytes(final))).toBe(sha256(expected))
      // The partial uploads stay as they were: a client may use them again.
      expect(await store.get(a)).toMatchObject({ offset: big.length, length: big.length })
    })

    test('reports a missing partial or final upload as UploadNotFound when concatenating, leaving the final upload empty', async ({
      skip: skipTest,
    }) => {
      skipTest(!store.capabilities.concat, 'the store does not concatenate')
      const concatenate = required(store.concatenate, 'concatenate').bind(store)
      const [a, missing, final] = [newUploadId(), newUploadId(), newUploadId()]
      await store.create({ id: a, length: 1, metadata: {}, concat: { kind: 'partial' } })
      await store.append(a, 0, body('x'))
      await store.create({ id: final, length: 2, metadata: {}, concat: { kind: 'final', partials: [a, missing] } })
      await expect(concatenate(final, [a, missing])).rejects.toMatchObject({ code: 'UPLOAD_NOT_FOUND', id: missing })
      expect((await store.get(final)).offset).toBe(0)
      await expect(concatenate(newUploadId(), [a])).rejects.toBeInstanceOf(UploadNotFound)
    })

    test('lists every upload once', async ({ skip: skipTest }) => {
      skipTest(store.list === undefined, 'the store does not list')
      const list = required(store.list, 'list').bind(store)
      const ids = [newUploadId(), newUploadId(), newUploadId()]
      for (const id of ids) await store.create({ id, length: 1, metadata: {} })
      await store.append(ids[0] ?? '', 0, body('x'))
      const listed: string[] = []
      for await (const id of list()) listed.push(id)
      expect(listed.sort()).toEqual([...ids].sort())
    })

    test('reports when an upload was last written', async ({ skip: skipTest }) => {
      skipTest(!store.capabilities.expire, 'the store does not expire uploads')
      // File systems stamp times from a coarse clock, a little behind Date.now().
      const slack = 1000
      const id = newUploadId()
      const before = Date.now()
      const created = await store.create({ id, length: 4, metadata: {} })
      const got = await store.get(id)
      for (const upload of [created, got]) {
        expect(upload.updatedAt).toBeGreaterThanOrEqual(before - slack)
        expect(upload.updatedAt).toBeLessThanOrEqual(Date.now() + slack)
      }
      const beforeAppend = Date.now()
      await store.append(id, 0, body('data'))
      expect((await store.get(id)).updatedAt).toBeGreaterThanOrEqual(beforeAppend - slack)
    })

    test('lists only existing tests in skip', async () => {
      expect([...skip].filter((title) => !titles.has(title))).toEqual([])
    })
  })

  /** The content of an upload, through `read` when the store has it. */
  async function expectContent(id: string, expected: string): Promise<void> {
    if (!store.capabilities.read) return
    expect((await readBytes(id)).toString('utf8')).toBe(expected)
  }

  async function readBytes(id: string, range?: ByteRange): Promise<Buffer> {
    const stream: Readable = await required(store.read, 'read').call(store, id, range)
    const chunks: Buffer[] = []
    for await (const chunk of stream) chunks.push(Buffer.from(chunk as Uint8Array))
    return Buffer.concat(chunks)
  }
}

function required<T>(method: T | undefined, name: string): T {
  if (method === undefined) throw new Error(`the store advertises ${name} but has no ${name} method`)
  return method
}

async function* body(...parts: (string | Uint8Array)[]): AsyncGenerator<Uint8Array> {
  for (const part of parts) yield typeof part === 'string' ? Buffer.from(part, 'utf8') : part
}

async function* failing(error: Error, ...parts: (string | Uint8Array)[]): AsyncGenerator<Uint8Array> {
  yield* body(...parts)
  throw error
}

// Deterministic, so a failure reproduces; xorshift32 is plenty to make misplaced bytes visible.
function pseudoRandomBytes(size: number): Buffer {
  const bytes = Buffer.allocUnsafe(size)
  let state = 0x9e3779b9
  for (let i = 0; i < size; i++) {
    state ^= state << 13
    state ^= state >>> 17
    state ^= state << 5
    bytes[i] = state & 0xff
  }
  return bytes
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex')
}
