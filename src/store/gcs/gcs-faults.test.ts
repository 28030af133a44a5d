import { createServer } from 'node:net'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { startGcsFake, type GcsFake } from '../../../test/fakes/gcs/gcs-fake.js'
import { StoreUnavailable, UploadNotFound } from '../../model/errors.js'
import { pseudoRandomBytes, sha256 } from '../conformance/support.js'
import type { StoredUpload } from '../store.js'
import { GcsStore, type GcsStoreOptions } from './gcs-store.js'

// GCS failing, stalling and gone, played by the GCS fake (test/fakes/gcs, not GCS): the store retries within
// its bounds, then reports StoreUnavailable with the bytes GCS confirmed; nothing it counted is ever lost.

const NEVER = new AbortController().signal
const KiB = 1024
const PIECE = 64 * KiB

async function* body(...parts: Uint8Array[]): AsyncGenerator<Uint8Array> {
  yield* parts
}

async function readAll(upload: StoredUpload): Promise<Buffer> {
  const chunks: Buffer[] = []
  for await (const chunk of await (upload.read as NonNullable<StoredUpload['read']>).call(upload, undefined, NEVER)) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks)
}

/** An address where nothing listens: a port that was free a moment ago. */
async function deadEndpoint(): Promise<string> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return `http://127.0.0.1:${port}`
}

let fake: GcsFake
let store: GcsStore
let buckets = 0
let bucket: string

async function connect(options: Partial<GcsStoreOptions> = {}): Promise<GcsStore> {
  bucket = `faults-${++buckets}`
  fake.createBucket(bucket)
  return GcsStore.connect({ bucket, endpoint: fake.endpoint, pieceSize: PIECE, requestTimeoutMs: 1_000, retry: { maxRetries: 2, maxDelayMs: 20 }, ...options })
}

beforeEach(async () => {
  fake = await startGcsFake()
  store = await connect()
})
afterEach(async () => {
  await store.close()
  await fake.stop()
})

describe('the GCS store when GCS fails', () => {
  it('retries a chunk GCS answers 503 from the bytes it kept, and loses none', async () => {
    const data = pseudoRandomBytes(3 * PIECE)
    const upload = await store.create({ id: 'flaky', length: data.length, metadata: {} }, NEVER)
    fake.failNext({ method: 'POST', nameIncludes: 'flaky_1', status: 503, times: 2 })
    expect((await upload.append(body(data), NEVER)).offset).toBe(data.length)
    expect(fake.requests.filter((request) => request.query.name === 'flaky_1')).toHaveLength(3)
    await upload.finish(NEVER)
    expect(sha256(await readAll(upload))).toBe(sha256(data))
  })

  it('throws StoreUnavailable with the bytes GCS confirmed once the retries are spent; the upload resumes from there', async () => {
    const data = pseudoRandomBytes(4 * PIECE + 5)
    const upload = await store.create({ id: 'broken', length: data.length, metadata: {} }, NEVER)
    fake.failNext({ method: 'POST', nameIncludes: 'broken_2', status: 503, times: 3 })
    const failure = await upload.append(body(data), NEVER).catch((error: unknown) => error)
    expect(failure).toBeInstanceOf(StoreUnavailable)
    expect(failure).toMatchObject({ offset: 2 * PIECE })
    expect(upload.state.offset).toBe(2 * PIECE)
    const resumed = await store.open('broken', NEVER)
    expect(resumed.state.offset).toBe(2 * PIECE)
    await resumed.append(body(data.subarray(2 * PIECE)), NEVER)
    await resumed.finish(NEVER)
    expect(sha256(await readAll(resumed))).toBe(sha256(data))
  })

  it('sends a piece that finds no retry buffer free without a copy, and does not retry it: StoreUnavailable at the bytes before', async () => {
    const lean = await connect({ retryMemory: 0 })
    const data = pseudoRandomBytes(2 * PIECE)
    const upload = await lean.create({ id: 'lean', length: data.length, metadata: {} }, NEVER)
    fake.failNext({ method: 'POST', nameIncludes: 'lean_1', status: 503 })
    const failure = await upload.append(body(data), NEVER).catch((error: unknown) => error)
    expect(failure).toBeInstanceOf(StoreUnavailable)
    expect(failure).toMatchObject({ offset: PIECE })
    expect(fake.requests.filter((request) => request.query.name === 'lean_1')).toHaveLength(1)
    const resumed = await lean.open('lean', NEVER)
    await resumed.append(body(data.subarray(PIECE)), NEVER)
    await resumed.finish(NEVER)
    expect(sha256(await readAll(resumed))).toBe(sha256(data))
    await lean.close()
  })

  it('gives up on a stalled chunk after the request timeout and sends it again', async () => {
    const data = pseudoRandomBytes(PIECE + 100)
    const upload = await store.create({ id: 'stalled', length: data.length, metadata: {} }, NEVER)
    const stall = fake.stallNext({ method: 'POST', nameIncludes: 'stalled_0' })
    try {
      expect((await upload.append(body(data), NEVER)).offset).toBe(data.length)
    } finally {
      stall.release()
    }
    expect(fake.requests.filter((request) => request.query.name === 'stalled_0')).toHaveLength(2)
    expect(sha256(Buffer.concat([fake.read(bucket, 'stalled_0') ?? Buffer.alloc(0), fake.read(bucket, 'stalled_1') ?? Buffer.alloc(0)]))).toBe(sha256(data))
  })

  it('reports StoreUnavailable for opens and reads while GCS answers 503, and serves them once it is back', async () => {
    const upload = await store.create({ id: 'later', length: 3, metadata: {} }, NEVER)
    await upload.append(body(Buffer.from('abc')), NEVER)
    await upload.finish(NEVER)
    fake.failNext({ method: 'GET', status: 503, times: 6 })
    await expect(store.open('later', NEVER)).rejects.toBeInstanceOf(StoreUnavailable)
    fake.failNext({ method: 'GET', nameIncludes: 'later', status: 503, times: 3 })
    await expect(readAll(upload)).rejects.toBeInstanceOf(StoreUnavailable)
    expect((await readAll(await store.open('later', NEVER))).toString()).toBe('abc')
  })

  it('leaves a complete upload unfinished when its compose fails, and finishes it on the next try', async () => {
    const data = pseudoRandomBytes(2 * PIECE)
    const upload = await store.create({ id: 'compose', length: data.length, metadata: {} }, NEVER)
    await upload.append(body(data), NEVER)
    fake.failNext({ method: 'POST', pathIncludes: '/compose', status: 503, times: 3 })
    await expect(upload.finish(NEVER)).rejects.toBeInstanceOf(StoreUnavailable)
    const again = await store.open('compose', NEVER)
    expect(again.finished).toBe(false)
    expect(again.state.offset).toBe(data.length)
    await again.finish(NEVER)
    expect(sha256(await readAll(again))).toBe(sha256(data))
  })

  it('reports a read of an object that went away as UploadNotFound', async () => {
    const upload = await store.create({ id: 'vanish', length: 1, metadata: {} }, NEVER)
    await upload.append(body(Buffer.from('x')), NEVER)
    await upload.finish(NEVER)
    const stale = await store.open('vanish', NEVER)
    await (upload.terminate as NonNullable<StoredUpload['terminate']>).call(upload, NEVER)
    await expect(readAll(stale)).rejects.toBeInstanceOf(UploadNotFound)
  })
})

describe('the GCS store when GCS cannot be reached', () => {
  it('refuses to connect, naming the bucket', async () => {
    await expect(GcsStore.connect({ bucket: 'nowhere', endpoint: await deadEndpoint(), retry: { maxRetries: 1, maxDelayMs: 10 } })).rejects.toThrow(/GCS bucket nowhere cannot be reached/)
    await expect(GcsStore.connect({ bucket: 'missing', endpoint: fake.endpoint })).rejects.toThrow(/GCS bucket missing does not exist/)
  })

  it('reports StoreUnavailable for every call once GCS is gone, keeping the bytes counted before', async () => {
    const upload = await store.create({ id: 'orphan', length: 10, metadata: {} }, NEVER)
    await upload.append(body(Buffer.from('12345')), NEVER)
    await fake.stop()
    await expect(store.open('orphan', NEVER)).rejects.toBeInstanceOf(StoreUnavailable)
    await expect(store.create({ id: 'new', metadata: {} }, NEVER)).rejects.toBeInstanceOf(StoreUnavailable)
    const failure = await upload.append(body(Buffer.from('678')), NEVER).catch((error: unknown) => error)
    expect(failure).toBeInstanceOf(StoreUnavailable)
    expect(failure).toMatchObject({ offset: 5 })
    await expect(upload.update({ completionPending: true }, NEVER)).rejects.toBeInstanceOf(StoreUnavailable)
    await expect((upload.terminate as NonNullable<StoredUpload['terminate']>).call(upload, NEVER)).rejects.toBeInstanceOf(StoreUnavailable)
    fake = await startGcsFake()
  })
})

describe('the GCS store when asked to stop', () => {
  it('rejects a call stalled on GCS with the signal\'s reason at once', async () => {
    await store.create({ id: 'waiting', length: 1, metadata: {} }, NEVER)
    const slow = await connect({ requestTimeoutMs: 60_000 })
    const stall = fake.stallNext({ method: 'GET' })
    const controller = new AbortController()
    const reason = new Error('the client went away')
    const opening = slow.open('waiting', controller.signal)
    await stall.arrived
    controller.abort(reason)
    await expect(opening).rejects.toBe(reason)
    stall.release()
    await slow.close()
  })

  it('gives the last piece of an aborted append its grace period, then cuts it: StoreUnavailable, not counted, though it may land', async () => {
    const quick = await connect({ abortGraceMs: 100, requestTimeoutMs: 60_000 })
    const upload = await quick.create({ id: 'cut', length: 10, metadata: {} }, NEVER)
    const stall = fake.stallNext({ method: 'POST', nameIncludes: 'cut_0' })
    const controller = new AbortController()
    async function* stopping(): AsyncGenerator<Uint8Array> {
      yield Buffer.from('abc')
      controller.abort(new Error('a newer request wants the upload'))
      await new Promise<never>(() => undefined)
    }
    const failure = await upload.append(stopping(), controller.signal).catch((error: unknown) => error)
    expect(failure).toBeInstanceOf(StoreUnavailable)
    expect(failure).toMatchObject({ offset: 0 })
    expect(upload.state.offset).toBe(0)
    // The handle cannot know whether the piece landed: it appends no more.
    await expect(upload.append(body(Buffer.from('d')), NEVER)).rejects.toThrow('open it again')
    // Its whole body had been sent: GCS stores it once it gets to it, and the next open counts it, byte-correct.
    stall.release()
    for (let tries = 0; fake.read(bucket, 'cut_0') === undefined && tries < 100; tries++) await new Promise((resolve) => setTimeout(resolve, 20))
    const reopened = await quick.open('cut', NEVER)
    expect(reopened.state.offset).toBe(3)
    expect(fake.read(bucket, 'cut_0')?.toString()).toBe('abc')
    await quick.close()
  })
})
