import { createHash } from 'node:crypto'
import { writeFile, mkdtemp, readdir, rm, utimes } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  CreateMultipartUploadCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  PutObjectCommand,
  UploadPartCommand,
  type S3Client,
} from '@aws-sdk/client-s3'
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest'
import { StoreUnavailable } from '../../src/model/errors.js'
import { LockLoss, ReleaseRequested } from '../../src/model/stop-reasons.js'
import { pseudoRandomBytes } from '../../src/store/conformance/support.js'
import type { S3Store, S3StoreOptions } from '../../src/store/s3/s3-store.js'
import type { StoredUpload } from '../../src/store/store.js'
import { describeWithServer } from '../servers/availability.js'
import { FaultProxy } from './fault-proxy.js'
import { freshBucket, KiB, openStore, radosgwWithSmallParts, removeBucket, s3ClientFor } from './s3-support.js'

const NEVER = new AbortController().signal
const PART = 128 * KiB

async function* chunks(data: Uint8Array, size = 32 * KiB): AsyncGenerator<Uint8Array> {
  for (let at = 0; at < data.length; at += size) yield data.subarray(at, Math.min(data.length, at + size))
}

/** Yields `data`, then calls `then` and waits for a chunk that never comes (a client gone silent). */
async function* stalling(data: Uint8Array, then: () => void): AsyncGenerator<Uint8Array> {
  yield* chunks(data)
  then()
  await new Promise<never>(() => undefined)
}

async function readAll(upload: StoredUpload): Promise<Buffer> {
  const stream = await upload.read?.(undefined, NEVER)
  const parts: Buffer[] = []
  for await (const chunk of stream ?? []) parts.push(Buffer.from(chunk as Uint8Array))
  return Buffer.concat(parts)
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex')
}

const isUploadPart = (number: number) => (request: { method: string; url: string; headers: Record<string, unknown> }) =>
  request.method === 'PUT' && new RegExp(`[?&]partNumber=${number}(&|$)`).test(request.url) && request.headers['x-amz-copy-source'] === undefined

describeWithServer('S3 store: failures of S3 and of the gateway', radosgwWithSmallParts(), (server) => {
  let proxy: FaultProxy
  let bucket: string
  let s3: S3Client
  const stores: S3Store[] = []

  beforeAll(async () => {
    proxy = await FaultProxy.start(server().endpoint)
    bucket = await freshBucket(server())
    s3 = s3ClientFor(server())
  })
  afterEach(async () => {
    proxy.fault = () => undefined
    proxy.seen.length = 0
    await Promise.all(stores.splice(0).map((store) => store.close()))
  })
  afterAll(async () => {
    s3?.destroy()
    await proxy?.close()
    if (bucket !== undefined) await removeBucket(server(), bucket)
  })

  /** A store that reaches radosgw through the proxy, quick to give up. */
  async function store(options: Partial<S3StoreOptions> = {}): Promise<S3Store> {
    const opened = await openStore(server(), bucket, { endpoint: proxy.endpoint, maxAttempts: 2, socketTimeoutMs: 1000, requestTimeoutMs: 3000, ...options })
    stores.push(opened)
    return opened
  }

  it('commits the parts before one that fails for good; those after it do not count; the upload resumes byte-identical', async () => {
    const s = await store()
    const data = pseudoRandomBytes(5 * PART + 100, 21)
    const upload = await s.create({ id: 'failed-part', length: data.length, metadata: {} }, NEVER)
    proxy.fault = (request) => (isUploadPart(3)(request) ? { status: 500 } : undefined)
    const failure = await upload.append(chunks(data), NEVER).then(
      () => undefined,
      (error: unknown) => error,
    )
    expect(failure).toBeInstanceOf(StoreUnavailable)
    expect((failure as StoreUnavailable).offset).toBe(2 * PART)
    // Both attempts at part 3 were made (the client's retries are bounded).
    expect(proxy.seen.filter(isUploadPart(3))).toHaveLength(2)
    proxy.fault = () => undefined
    const resumed = await s.open(upload.state.id, NEVER)
    expect(resumed.state.offset).toBe(2 * PART)
    await resumed.append(chunks(data.subarray(2 * PART)), NEVER)
    // Parts 4 and 5 of the failed append were uploaded again: radosgw completes only with every part listed.
    await resumed.finish(NEVER)
    expect(sha256(await readAll(await s.open(upload.state.id, NEVER)))).toBe(sha256(data))
  })

  it('counts no part a crashed append uploaded without committing, and overwrites them on resume', async () => {
    const s = await store()
    const data = pseudoRandomBytes(3 * PART, 22)
    const upload = await s.create({ id: 'crash-leftovers', length: data.length, metadata: {} }, NEVER)
    await upload.append(chunks(data.subarray(0, 40 * KiB)), NEVER)
    // What a gateway killed mid-append leaves: parts 1 and 2 uploaded (other bytes), no commit.
    const UploadId = upload.state.id.slice('crash-leftovers+'.length)
    for (const PartNumber of [1, 2]) {
      await s3.send(new UploadPartCommand({ Bucket: bucket, Key: 'crash-leftovers', UploadId, PartNumber, Body: pseudoRandomBytes(PART, 99) }))
    }
    const opened = await s.open(upload.state.id, NEVER)
    expect(opened.state.offset).toBe(40 * KiB)
    await opened.append(chunks(data.subarray(40 * KiB)), NEVER)
    await opened.finish(NEVER)
    expect(sha256(await readAll(await s.open(upload.state.id, NEVER)))).toBe(sha256(data))
  })

  it("records tusd's .part before its bytes go into a part, so a commit that fails cannot count them twice", async () => {
    const s = await store()
    const Key = 'tusd-tail'
    const tail = pseudoRandomBytes(40 * KiB, 23)
    const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key }))
    const id = `${Key}+${UploadId}`
    const info = { ID: id, Size: 3 * PART, SizeIsDeferred: false, Offset: 0, MetaData: {}, IsPartial: false, IsFinal: false, PartialUploads: null, Storage: { Bucket: bucket, Key, Type: 's3store' } }
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: `${Key}.info`, Body: JSON.stringify(info) }))
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: `${Key}.part`, Body: tail }))
    const opened = await s.open(id, NEVER)
    expect(opened.state.offset).toBe(40 * KiB)
    // The part holding the .part bytes arrives; the commit of the append does not.
    proxy.fault = (request) => (request.method === 'PUT' && request.url.includes(`${Key}.part`) && request.headers['x-amz-copy-source'] === undefined ? { status: 503, code: 'SlowDown' } : undefined)
    await expect(opened.append(chunks(pseudoRandomBytes(PART, 24)), NEVER)).rejects.toBeInstanceOf(StoreUnavailable)
    proxy.fault = () => undefined
    // Part 1 now holds the .part bytes too; without the record they would count twice (offset 168 KiB).
    expect((await s.open(id, NEVER)).state.offset).toBe(40 * KiB)
    const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: `${Key}.part` }))
    expect(head.Metadata?.['committed-parts']).toBe('0')
  })

  it('answers StoreUnavailable when S3 answers 5xx or resets connections, for every call', async () => {
    const s = await store()
    const upload = await s.create({ id: 'unavailable', length: 10, metadata: {} }, NEVER)
    await upload.append(chunks(Buffer.from('hello')), NEVER)
    for (const fault of [{ status: 503, code: 'SlowDown' }, { status: 500 }, 'reset'] as const) {
      proxy.fault = () => fault
      await expect(s.open(upload.state.id, NEVER), JSON.stringify(fault)).rejects.toBeInstanceOf(StoreUnavailable)
      await expect(s.create({ id: `x${Math.random().toString(16).slice(2)}`, metadata: {} }, NEVER)).rejects.toBeInstanceOf(StoreUnavailable)
      const failure = await upload.append(chunks(Buffer.from('wor')), NEVER).catch((error: unknown) => error)
      expect(failure).toBeInstanceOf(StoreUnavailable)
      expect((failure as StoreUnavailable).offset).toBe(5)
    }
    proxy.fault = () => undefined
    expect((await s.open(upload.state.id, NEVER)).state.offset).toBe(5)
  })

  it('answers StoreUnavailable when S3 stops answering, within its timeouts', async () => {
    const s = await store()
    const upload = await s.create({ id: 'silent', length: 10, metadata: {} }, NEVER)
    proxy.fault = () => 'hang'
    await expect(s.open(upload.state.id, NEVER)).rejects.toBeInstanceOf(StoreUnavailable)
    await expect(upload.append(chunks(Buffer.from('hello')), NEVER)).rejects.toBeInstanceOf(StoreUnavailable)
  })

  it('on a release request, lets the parts in flight finish and commits every byte received', async () => {
    const s = await store()
    const data = pseudoRandomBytes(3 * PART, 25)
    const upload = await s.create({ id: 'released', length: data.length, metadata: {} }, NEVER)
    // Part 2 takes S3 a while: it is still in flight when the request is asked to let go.
    proxy.fault = (request) => (isUploadPart(2)(request) ? { delayMs: 300 } : undefined)
    const controller = new AbortController()
    const sent = Math.floor(2.5 * PART)
    const state = await upload.append(stalling(data.subarray(0, sent), () => controller.abort(new ReleaseRequested())), controller.signal)
    expect(state.offset).toBe(sent)
    expect((await s.open(upload.state.id, NEVER)).state.offset).toBe(sent)
  })

  it('cuts off the parts still in flight when the grace period runs out, keeping what S3 confirmed', async () => {
    const s = await store({ stopGraceMs: 100 })
    const data = pseudoRandomBytes(3 * PART, 26)
    const upload = await s.create({ id: 'grace', length: data.length, metadata: {} }, NEVER)
    proxy.fault = (request) => (isUploadPart(2)(request) ? 'hang' : undefined)
    const controller = new AbortController()
    const state = await upload.append(stalling(data.subarray(0, Math.floor(2.5 * PART)), () => controller.abort(new ReleaseRequested())), controller.signal)
    expect(state.offset).toBe(PART)
    expect((await s.open(upload.state.id, NEVER)).state.offset).toBe(PART)
  })

  it('commits nothing more once the lock is lost: someone else may write now', async () => {
    const s = await store()
    const data = pseudoRandomBytes(3 * PART, 27)
    const upload = await s.create({ id: 'lost', length: data.length, metadata: {} }, NEVER)
    await upload.append(chunks(data.subarray(0, 10 * KiB)), NEVER)
    proxy.fault = (request) => (isUploadPart(1)(request) ? 'hang' : undefined)
    const controller = new AbortController()
    const state = await upload.append(stalling(data.subarray(10 * KiB, 2 * PART), () => controller.abort(new LockLoss('lost'))), controller.signal)
    expect(state.offset).toBe(10 * KiB)
    expect((await s.open(upload.state.id, NEVER)).state.offset).toBe(10 * KiB)
  })

  it('commits the parts S3 confirmed while a long request still streams: a crash then loses at most the rest', async () => {
    const s = await store({ commitIntervalMs: 0 })
    const data = pseudoRandomBytes(4 * PART, 28)
    const upload = await s.create({ id: 'interim', length: data.length, metadata: {} }, NEVER)
    const controller = new AbortController()
    let stalled: () => void = () => {}
    const stalledNow = new Promise<void>((resolve) => (stalled = resolve))
    const appending = upload.append(stalling(data.subarray(0, Math.floor(2.5 * PART)), stalled), controller.signal)
    await stalledNow
    // While the request still waits for its client, another reader sees the two parts S3 holds.
    for (let tries = 0; (await s.open(upload.state.id, NEVER)).state.offset < 2 * PART; tries++) {
      expect(tries).toBeLessThan(200)
      await new Promise((resolve) => setTimeout(resolve, 20))
    }
    controller.abort(new ReleaseRequested())
    expect((await appending).offset).toBe(Math.floor(2.5 * PART))
  })

  it('concatenates with UploadPartCopy when every partial upload but the last holds a part, streaming otherwise', async () => {
    const s = await store()
    const make = async (name: string, bytes: Buffer): Promise<StoredUpload> => {
      const partial = await s.create({ id: name, length: bytes.length, metadata: {}, concat: { kind: 'partial' } }, NEVER)
      await partial.append(chunks(bytes), NEVER)
      await partial.finish(NEVER)
      return s.open(partial.state.id, NEVER)
    }
    const [a, b, c] = [pseudoRandomBytes(100 * KiB, 1), pseudoRandomBytes(90 * KiB, 2), pseudoRandomBytes(10 * KiB, 3)]
    const big = await make('big-a', a)
    const other = await make('big-b', b)
    const small = await make('small-c', c)
    const copies = (): number => proxy.seen.filter((request) => request.method === 'PUT' && request.headers['x-amz-copy-source'] !== undefined).length
    const uploads = (): number => proxy.seen.filter((request) => request.method === 'PUT' && /[?&]partNumber=/.test(request.url) && request.headers['x-amz-copy-source'] === undefined).length

    proxy.seen.length = 0
    const copied = await s.create({ id: 'final-copied', metadata: {}, concat: { kind: 'final', partials: [big.state.id, other.state.id, small.state.id] } }, NEVER)
    await copied.concatenate?.([big, other, small], NEVER)
    await copied.finish(NEVER)
    expect({ copies: copies(), uploads: uploads() }).toEqual({ copies: 3, uploads: 0 })
    expect(sha256(await readAll(await s.open(copied.state.id, NEVER)))).toBe(sha256(Buffer.concat([a, b, c])))

    proxy.seen.length = 0
    const streamed = await s.create({ id: 'final-streamed', metadata: {}, concat: { kind: 'final', partials: [small.state.id, big.state.id] } }, NEVER)
    await streamed.concatenate?.([small, big], NEVER)
    await streamed.finish(NEVER)
    expect(copies()).toBe(0)
    expect(uploads()).toBeGreaterThan(0)
    expect(sha256(await readAll(await s.open(streamed.state.id, NEVER)))).toBe(sha256(Buffer.concat([c, a])))
  })

  it('sweeps part files of processes that are gone and multipart uploads without .info, nothing else', async () => {
    const directory = await mkdtemp(join(tmpdir(), 'rg-s3-sweep-'))
    try {
      const s = await store({ temporaryDirectory: directory, leftoverGraceMs: 0 })
      // A part file of a process that is gone (pid 2^22 + 1 is above Linux's default pid_max), and one of ours.
      await writeFile(join(directory, 'rg-s3-4194305-0123456789abcdef.tmp'), Buffer.alloc(1000))
      await writeFile(join(directory, 'unrelated.tmp'), 'keep')
      const old = new Date(Date.now() - 60_000)
      await utimes(join(directory, 'unrelated.tmp'), old, old)
      const live = await s.create({ id: 'live-upload', length: 10, metadata: {} }, NEVER)
      const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: 'orphan' }))
      await s3.send(new UploadPartCommand({ Bucket: bucket, Key: 'orphan', UploadId, PartNumber: 1, Body: Buffer.alloc(500) }))
      const freed = await s.sweepLeftovers(NEVER)
      expect(freed).toBe(1500)
      expect(await readdir(directory)).toEqual(['unrelated.tmp'])
      const uploads = await s3.send(new ListMultipartUploadsCommand({ Bucket: bucket }))
      expect(uploads.Uploads?.map((upload) => upload.Key)).not.toContain('orphan')
      expect((await s.open(live.state.id, NEVER)).state.offset).toBe(0)
    } finally {
      await rm(directory, { recursive: true, force: true })
    }
  })
})
