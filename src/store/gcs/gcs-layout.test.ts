import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { startGcsFake, type GcsFake } from '../../../test/fakes/gcs/gcs-fake.js'
import { EMPTY, FINISHED, readAsTusd, TUSD_PREFIX, UNFINISHED, writeTusdBucket } from '../../../test/gcs/tusd-bucket.js'
import { UploadNotFound } from '../../model/errors.js'
import { pseudoRandomBytes } from '../conformance/support.js'
import type { StoredUpload } from '../store.js'
import { GcsStore } from './gcs-store.js'

// The objects the GCS store writes, checked in the GCS fake (test/fakes/gcs, not GCS): tusd's gcsstore layout,
// readable by tusd; and a bucket tusd wrote, served and resumed.

const NEVER = new AbortController().signal
const KiB = 1024

async function* body(...parts: (string | Uint8Array)[]): AsyncGenerator<Uint8Array> {
  for (const part of parts) yield typeof part === 'string' ? Buffer.from(part) : part
}

async function readAll(upload: StoredUpload): Promise<Buffer> {
  const chunks: Buffer[] = []
  for await (const chunk of await (upload.read as NonNullable<StoredUpload['read']>).call(upload, undefined, NEVER)) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks)
}

let fake: GcsFake
let buckets = 0
let bucket: string
let store: GcsStore
const open = (id: string): Promise<StoredUpload> => store.open(id, NEVER)

beforeAll(async () => {
  fake = await startGcsFake()
})
afterAll(() => fake.stop())
afterEach(() => store.close())

describe('the GCS store\'s layout', () => {
  beforeEach(async () => {
    bucket = `layout-${++buckets}`
    fake.createBucket(bucket)
    store = await GcsStore.connect({ bucket, endpoint: fake.endpoint, objectPrefix: 'uploads', pieceSize: 64 * KiB, retry: { maxDelayMs: 10 } })
  })

  it('writes .info as tusd does, with its field names and the gcsstore Storage map', async () => {
    const upload = await store.create({ id: 'abc123', length: 5, metadata: { filename: 'a.txt', flag: null } }, NEVER)
    expect(fake.objectNames(bucket)).toEqual(['uploads/abc123.info'])
    const info = JSON.parse(fake.read(bucket, 'uploads/abc123.info')?.toString() ?? '') as Record<string, unknown>
    expect(info).toMatchObject({
      ID: 'abc123', Size: 5, SizeIsDeferred: false, Offset: 0, MetaData: { filename: 'a.txt', flag: '' },
      IsPartial: false, IsFinal: false, PartialUploads: null, Storage: { Bucket: bucket, Key: 'uploads/abc123', Type: 'gcsstore' },
    })
    expect(Object.keys(info).slice(0, 9)).toEqual(['ID', 'Size', 'SizeIsDeferred', 'Offset', 'MetaData', 'IsPartial', 'IsFinal', 'PartialUploads', 'Storage'])
    expect(upload.state).toMatchObject({ id: 'abc123', offset: 0, length: 5 })
  })

  it('writes each append as chunk objects of at most a piece, numbered on, which tusd reads as the same offset', async () => {
    const data = pseudoRandomBytes(150 * KiB)
    const upload = await store.create({ id: 'chunky', length: data.length, metadata: {} }, NEVER)
    await upload.append(body(data.subarray(0, 100 * KiB)), NEVER)
    const again = await open('chunky')
    await again.append(body(data.subarray(100 * KiB, 120 * KiB)), NEVER)
    expect(fake.objectNames(bucket)).toEqual(['uploads/chunky.info', 'uploads/chunky_0', 'uploads/chunky_1', 'uploads/chunky_2'])
    expect(fake.read(bucket, 'uploads/chunky_0')?.length).toBe(64 * KiB)
    expect(await readAsTusd(fake, bucket, 'uploads/chunky')).toMatchObject({ offset: 120 * KiB, finished: false })
    expect((await open('chunky')).state.offset).toBe(120 * KiB)
  })

  it('finishes by composing the chunks into <key> with the metadata and filetype, then deletes them', async () => {
    const data = pseudoRandomBytes(40 * 10 * KiB)
    await store.create({ id: 'many', length: data.length, metadata: { filename: 'x.bin', filetype: 'image/png' } }, NEVER)
    // 40 appends of 10 KiB: 40 chunks, more than one compose takes.
    for (let at = 0; at < data.length; at += 10 * KiB) await (await open('many')).append(body(data.subarray(at, at + 10 * KiB)), NEVER)
    const done = await open('many')
    const before = fake.requests.length
    await done.finish(NEVER)
    const composes = fake.requests.slice(before).filter((request) => request.path.endsWith('/compose')).map((request) => request.path.split('/o/')[1])
    expect(composes).toEqual(['uploads/many_tmp_0_0/compose', 'uploads/many_tmp_0_1/compose', 'uploads/many/compose'])
    expect(fake.objectNames(bucket)).toEqual(['uploads/many', 'uploads/many.info'])
    expect(fake.read(bucket, 'uploads/many')?.equals(data)).toBe(true)
    const meta = await fetch(`${fake.endpoint}/storage/v1/b/${bucket}/o/${encodeURIComponent('uploads/many')}`).then((response) => response.json() as Promise<Record<string, unknown>>)
    expect(meta).toMatchObject({ contentType: 'image/png', metadata: { filename: 'x.bin', filetype: 'image/png' } })
    expect(await readAsTusd(fake, bucket, 'uploads/many')).toMatchObject({ offset: data.length, finished: true })
    const reopened = await open('many')
    expect(reopened.finished).toBe(true)
    expect((await readAll(reopened)).equals(data)).toBe(true)
  })

  it('rolls back only the last append\'s chunks, newest first, leaving tusd a gapless list', async () => {
    const upload = await store.create({ id: 'undo', length: 200 * KiB, metadata: {} }, NEVER)
    await upload.append(body(pseudoRandomBytes(10 * KiB)), NEVER)
    await upload.append(body(pseudoRandomBytes(130 * KiB)), NEVER)
    expect(fake.objectNames(bucket).filter((name) => name.includes('_'))).toHaveLength(4)
    const before = fake.requests.length
    expect((await (upload.rollBack as NonNullable<StoredUpload['rollBack']>).call(upload, NEVER)).offset).toBe(10 * KiB)
    const deletes = fake.requests.slice(before).filter((request) => request.method === 'DELETE').map((request) => request.path.split('/o/')[1])
    expect(deletes).toEqual(['uploads/undo_3', 'uploads/undo_2', 'uploads/undo_1'])
    expect(await readAsTusd(fake, bucket, 'uploads/undo')).toMatchObject({ offset: 10 * KiB, chunks: ['uploads/undo_0'] })
  })

  it('terminates: <key> and chunks first, .info last; a stale handle then finds nothing, and writes nothing', async () => {
    const upload = await store.create({ id: 'gone', length: 10, metadata: {} }, NEVER)
    await upload.append(body('12345'), NEVER)
    const stale = await open('gone')
    await (upload.terminate as NonNullable<StoredUpload['terminate']>).call(upload, NEVER)
    expect(fake.objectNames(bucket)).toEqual([])
    await expect(stale.append(body('678'), NEVER)).rejects.toBeInstanceOf(UploadNotFound)
    expect(fake.objectNames(bucket)).toEqual([])
  })

  it('lists only ids with an .info directly under the prefix', async () => {
    await store.create({ id: 'one', length: 1, metadata: {} }, NEVER)
    const two = await store.create({ id: 'two', length: 1, metadata: {} }, NEVER)
    await two.append(body('x'), NEVER)
    await two.finish(NEVER)
    const other = await GcsStore.connect({ bucket, endpoint: fake.endpoint, objectPrefix: 'elsewhere' })
    await other.create({ id: 'three', length: 1, metadata: {} }, NEVER)
    await other.close()
    const ids: string[] = []
    for await (const id of (store.list as NonNullable<GcsStore['list']>).call(store, NEVER)) ids.push(id)
    expect(ids.sort()).toEqual(['one', 'two'])
  })

  it('refuses an id that is taken', async () => {
    await store.create({ id: 'taken', length: 1, metadata: {} }, NEVER)
    await expect(store.create({ id: 'taken', length: 2, metadata: {} }, NEVER)).rejects.toThrow('exists already')
    expect((await open('taken')).state.length).toBe(1)
  })

  it('refuses a prefix with "_" and ids that are not letters, digits and -', () => {
    expect(() => new GcsStore({ bucket, objectPrefix: 'a_b' })).toThrow(RangeError)
    for (const id of ['a_b', 'a.b', 'a/b', '', 'x'.repeat(129)]) expect(store.isValidId(id), id).toBe(false)
    expect(store.isValidId('0123abcDEF-x')).toBe(true)
  })

  it('composes more than 32 partial uploads into a final upload, 32 at a time', async () => {
    const partials: StoredUpload[] = []
    for (let i = 0; i < 35; i++) {
      const partial = await store.create({ id: `part${i}`, length: 2, metadata: {}, concat: { kind: 'partial' } }, NEVER)
      await partial.append(body(String(i).padStart(2, '0')), NEVER)
      await partial.finish(NEVER)
      partials.push(partial)
    }
    const final = await store.create({ id: 'whole', metadata: {}, concat: { kind: 'final', partials: partials.map((p) => p.state.id) } }, NEVER)
    expect(await (final.concatenate as NonNullable<StoredUpload['concatenate']>).call(final, partials, NEVER)).toMatchObject({ offset: 70, length: 70 })
    expect(fake.read(bucket, 'uploads/whole')?.toString()).toBe(Array.from({ length: 35 }, (_, i) => String(i).padStart(2, '0')).join(''))
    expect(fake.objectNames(bucket).filter((name) => name.includes('tmp'))).toEqual([])
    expect((await open('whole')).state).toMatchObject({ offset: 70, length: 70 })
  })

  it('sweeps compose leftovers and chunks of finished uploads once old enough, nothing else', async () => {
    const done = await store.create({ id: 'done', length: 3, metadata: {} }, NEVER)
    await done.append(body('abc'), NEVER)
    await done.finish(NEVER)
    const open1 = await store.create({ id: 'open', length: 9, metadata: {} }, NEVER)
    await open1.append(body('abc'), NEVER)
    // What a crash leaves: a chunk of a finished upload, a temporary compose object.
    const files = new (await import('@google-cloud/storage')).Storage({ apiEndpoint: fake.endpoint, projectId: 'test' }).bucket(bucket)
    await files.file('uploads/done_0').save('abc', { resumable: false })
    await files.file('uploads/open_tmp_0_0').save('xyz', { resumable: false })
    expect(await (store.sweepLeftovers as NonNullable<GcsStore['sweepLeftovers']>).call(store, NEVER)).toBe(0)
    const eager = await GcsStore.connect({ bucket, endpoint: fake.endpoint, objectPrefix: 'uploads', leftoverGraceMs: 0 })
    expect(await (eager.sweepLeftovers as NonNullable<GcsStore['sweepLeftovers']>).call(eager, NEVER)).toBe(6)
    await eager.close()
    expect(fake.objectNames(bucket)).toEqual(['uploads/done', 'uploads/done.info', 'uploads/open.info', 'uploads/open_0'])
  })
})

describe('a bucket tusd wrote', () => {
  beforeEach(async () => {
    bucket = `tusd-${++buckets}`
    await writeTusdBucket(fake, bucket)
    store = await GcsStore.connect({ bucket, endpoint: fake.endpoint, objectPrefix: TUSD_PREFIX })
  })

  it('opens tusd\'s unfinished upload at the sum of its chunks (an empty one included) and resumes it after them', async () => {
    const upload = await open(UNFINISHED.id)
    expect(upload.state).toMatchObject({ offset: 10, length: 26, metadata: UNFINISHED.metadata })
    expect(upload.state.createdAt).toBeGreaterThan(0)
    await upload.append(body(UNFINISHED.rest), NEVER)
    expect(fake.objectNames(bucket).filter((name) => name.startsWith(`uploads/${UNFINISHED.id}_`))).toEqual([0, 1, 2, 3].map((n) => `uploads/${UNFINISHED.id}_${n}`))
    const done = await open(UNFINISHED.id)
    await done.finish(NEVER)
    expect((await readAll(done)).toString()).toBe(`0123456789${UNFINISHED.rest}`)
    expect(await readAsTusd(fake, bucket, `uploads/${UNFINISHED.id}`)).toMatchObject({ offset: 26, finished: true })
  })

  it('opens tusd\'s finished upload as finished, and reads it', async () => {
    const upload = await open(FINISHED.id)
    expect(upload.finished).toBe(true)
    expect(upload.state).toMatchObject({ offset: 16, length: 16, metadata: FINISHED.metadata })
    expect((await readAll(upload)).toString()).toBe(FINISHED.content)
  })

  it('opens tusd\'s upload without chunks at offset 0, and keeps tusd\'s .info as it was until something changes', async () => {
    const before = fake.read(bucket, `uploads/${EMPTY.id}.info`)
    const upload = await open(EMPTY.id)
    expect(upload.state).toMatchObject({ offset: 0, length: 8, metadata: EMPTY.metadata })
    await upload.append(body('12345678'), NEVER)
    expect(fake.read(bucket, `uploads/${EMPTY.id}.info`)?.equals(before as Buffer)).toBe(true)
  })
})
