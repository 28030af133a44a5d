/**
 * The GCS fake (a fake of the GCS JSON API for tests; not GCS), driven through the official SDK,
 * `@google-cloud/storage` 7.22.0, the way the GCS store will use it. Raw HTTP only where the SDK has no call
 * for a protocol detail (the session status query).
 */
import { createHash, randomBytes } from 'node:crypto'
import { request as httpRequest } from 'node:http'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { Storage, type File, type StorageOptions } from '@google-cloud/storage'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { startGcsFake, type GcsFake } from './gcs-fake.js'
import { crc32c } from './gcs-fake-crc32c.js'
import { RESUMABLE_CHUNK_UNIT } from './gcs-fake-uploads.js'

/** Bitwise CRC32C (Castagnoli, reflected polynomial 0x82F63B78): a reference independent of the SDK's tables. */
function crc32cReference(data: Uint8Array): number {
  let crc = 0xffffffff
  for (const byte of data) {
    crc ^= byte
    for (let bit = 0; bit < 8; bit++) crc = crc & 1 ? (crc >>> 1) ^ 0x82f63b78 : crc >>> 1
  }
  return (crc ^ 0xffffffff) >>> 0
}

/** GCS's `crc32c` field: base64 of the big-endian 4 bytes. */
function gcsCrc32c(data: Uint8Array): string {
  const bytes = Buffer.alloc(4)
  bytes.writeUInt32BE(crc32cReference(data))
  return bytes.toString('base64')
}

/** Deterministic bytes, different for each `seed`. */
function bytes(length: number, seed = 1): Buffer {
  return Buffer.from(Array.from({ length }, (_, i) => (i * 31 + seed * 7) % 251))
}

/** Length and SHA-256 of some bytes: vitest's deep equality is far too slow for buffers of hundreds of KiB. */
function fingerprint(data: Buffer | undefined): string {
  return data === undefined ? 'none' : `${data.length} bytes, sha256 ${createHash('sha256').update(data).digest('hex')}`
}

/** The error a call rejects with. */
async function failureOf(promise: Promise<unknown>): Promise<Error & { code?: unknown; status?: unknown }> {
  const error: unknown = await promise.then(() => undefined, (e: unknown) => e)
  if (!(error instanceof Error)) throw new Error('expected a rejection')
  return error
}

/** The `code` of the error a call rejects with: the HTTP status, as the SDK's ApiError carries it. */
async function codeOf(promise: Promise<unknown>): Promise<unknown> {
  return (await failureOf(promise)).code
}

async function download(file: File, range?: { start: number; end: number }): Promise<Buffer> {
  const chunks: Buffer[] = []
  for await (const chunk of file.createReadStream(range)) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks)
}

let fake: GcsFake
let storage: Storage

function storageFor(retryOptions?: StorageOptions['retryOptions']): Storage {
  return new Storage({ apiEndpoint: fake.endpoint, projectId: fake.projectId, ...(retryOptions && { retryOptions }) })
}

describe('the GCS fake through @google-cloud/storage', () => {
  beforeEach(async () => {
    fake = await startGcsFake()
    storage = storageFor()
  })

  afterEach(async () => {
    await fake.stop()
    expect(fake.unhandled).toEqual([])
  })

  it('computes crc32c as GCS does: big-endian CRC32C in base64, checked against known vectors', async () => {
    expect(crc32cReference(Buffer.from('123456789'))).toBe(0xe3069283)
    expect(crc32cReference(Buffer.alloc(32, 0))).toBe(0x8a9136aa) // RFC 3720 B.4
    expect(crc32cReference(Buffer.alloc(32, 0xff))).toBe(0x62a8ab43)
    await storage.bucket('vectors').create()
    const file = storage.bucket('vectors').file('check')
    await file.save('123456789', { resumable: false })
    const [metadata] = await file.getMetadata()
    expect(metadata.crc32c).toBe('4waSgw==')
    expect(metadata.md5Hash).toBe(createHash('md5').update('123456789').digest('base64'))
  })

  it('computes its CRC32C eight bytes at a time exactly as the bitwise reference does, at every alignment', () => {
    const data = randomBytes(1024 * 1024 + 13)
    for (let length = 0; length <= 70; length++) expect(crc32c(data.subarray(3, 3 + length)), `${length} bytes`).toBe(crc32cReference(data.subarray(3, 3 + length)))
    expect(crc32c(data)).toBe(crc32cReference(data))
  })

  it('creates a bucket once: exists() turns true and a second create answers 409', async () => {
    const bucket = storage.bucket('uploads')
    expect((await bucket.exists())[0]).toBe(false)
    await bucket.create()
    expect((await bucket.exists())[0]).toBe(true)
    expect(await codeOf(bucket.create())).toBe(409)
  })

  it('saves and downloads an object whose name holds /, +, . and spaces, whole and by range', async () => {
    fake.createBucket('uploads')
    const name = 'prefix/a+b c.ü.info'
    const data = bytes(1000)
    const file = storage.bucket('uploads').file(name)
    await file.save(data, { resumable: false, contentType: 'application/json' })
    expect(fake.objectNames('uploads')).toEqual([name])
    expect(fingerprint(fake.read('uploads', name))).toBe(fingerprint(data))
    // A whole download is checked by the SDK against the crc32c in x-goog-hash.
    expect(fingerprint(await download(file))).toBe(fingerprint(data))
    expect(fingerprint(await download(file, { start: 10, end: 19 }))).toBe(fingerprint(data.subarray(10, 20)))
    expect(fingerprint(await download(file, { start: 990, end: 5000 }))).toBe(fingerprint(data.subarray(990)))
    expect(await codeOf(download(file, { start: 1000, end: 1010 }))).toBe(416)
    expect(await codeOf(download(storage.bucket('uploads').file('missing')))).toBe(404)
  })

  it('reports metadata as GCS does and merges a metadata PATCH into a new metageneration', async () => {
    fake.createBucket('uploads')
    const data = bytes(300)
    const file = storage.bucket('uploads').file('id.info')
    await file.save(data, { resumable: false, metadata: { contentType: 'text/plain', metadata: { a: '1', b: '2' } } })
    const [metadata] = await file.getMetadata()
    expect(metadata).toMatchObject({
      name: 'id.info', bucket: 'uploads', size: '300', metageneration: '1', contentType: 'text/plain',
      crc32c: gcsCrc32c(data), md5Hash: createHash('md5').update(data).digest('base64'), metadata: { a: '1', b: '2' },
    })
    expect(metadata.generation).toMatch(/^\d+$/)
    const [patched] = await file.setMetadata({ metadata: { b: null, c: '3' } })
    expect(patched).toMatchObject({ generation: metadata.generation, metageneration: '2', metadata: { a: '1', c: '3' } })
    expect(patched.metadata).not.toHaveProperty('b')
    expect((await file.exists())[0]).toBe(true)
    expect((await storage.bucket('uploads').file('other').exists())[0]).toBe(false)
  })

  it('uploads a streamed async body through createWriteStream, resumable and not', async () => {
    fake.createBucket('uploads')
    async function* body(): AsyncGenerator<Buffer> {
      for (let seed = 1; seed <= 5; seed++) yield bytes(100_000, seed)
    }
    const expected = Buffer.concat([1, 2, 3, 4, 5].map((seed) => bytes(100_000, seed)))
    for (const resumable of [true, false]) {
      const file = storage.bucket('uploads').file(`streamed-${resumable}`)
      await pipeline(Readable.from(body()), file.createWriteStream({ resumable, metadata: { metadata: { via: 'stream' } } }))
      expect(fingerprint(fake.read('uploads', file.name))).toBe(fingerprint(expected))
      expect((await file.getMetadata())[0].metadata).toEqual({ via: 'stream' })
    }
    const uploadTypes = fake.requests.filter((r) => r.method === 'POST').map((r) => r.query.uploadType)
    expect(uploadTypes).toEqual(['resumable', 'multipart'])
  })

  it('fills a resumable session over several requests and resumes it from a status query', async () => {
    fake.createBucket('uploads')
    const data = bytes(2 * RESUMABLE_CHUNK_UNIT + 5000)
    const file = storage.bucket('uploads').file('session')
    const [uri] = await file.createResumableUpload({ metadata: { contentType: 'video/mp4', metadata: { k: 'v' } } })
    // A partial upload: two 256 KiB chunks, each PUT answered 308, the session left open.
    const partial = file.createWriteStream({ uri, isPartialUpload: true, chunkSize: RESUMABLE_CHUNK_UNIT })
    await pipeline(Readable.from([data.subarray(0, 2 * RESUMABLE_CHUNK_UNIT)]), partial)
    expect(fake.read('uploads', 'session')).toBeUndefined()
    // Resumed without an offset, the SDK asks the session where it stands (bytes */*) and skips what it holds.
    await pipeline(Readable.from([data]), file.createWriteStream({ uri }))
    expect(fingerprint(fake.read('uploads', 'session'))).toBe(fingerprint(data))
    const [metadata] = await file.getMetadata()
    expect(metadata).toMatchObject({ contentType: 'video/mp4', metadata: { k: 'v' }, crc32c: gcsCrc32c(data) })
    const puts = fake.requests.filter((r) => r.method === 'PUT').map((r) => r.headers['content-range'])
    // Each createWriteStream({ uri }) without an offset starts with a status query.
    expect(puts).toEqual([
      'bytes */*', `bytes 0-${RESUMABLE_CHUNK_UNIT - 1}/*`, `bytes ${RESUMABLE_CHUNK_UNIT}-${2 * RESUMABLE_CHUNK_UNIT - 1}/*`,
      'bytes */*', `bytes ${2 * RESUMABLE_CHUNK_UNIT}-*/*`,
    ])
  })

  it('resumes a session at a known offset, validated with the crc32c of the bytes before it', async () => {
    fake.createBucket('uploads')
    const data = bytes(RESUMABLE_CHUNK_UNIT + 777, 3)
    const file = storage.bucket('uploads').file('offset')
    const [uri] = await file.createResumableUpload()
    const head = data.subarray(0, RESUMABLE_CHUNK_UNIT)
    await pipeline(Readable.from([head]), file.createWriteStream({ uri, isPartialUpload: true, chunkSize: RESUMABLE_CHUNK_UNIT }))
    const tail = file.createWriteStream({ uri, offset: head.length, resumeCRC32C: gcsCrc32c(head) })
    await pipeline(Readable.from([data.subarray(head.length)]), tail)
    expect(fingerprint(fake.read('uploads', 'offset'))).toBe(fingerprint(data))
  })

  it('answers session PUTs with 308 and the persisted Range, keeping whole 256 KiB units of an unfinished request', async () => {
    fake.createBucket('uploads')
    const [uri] = await storage.bucket('uploads').file('raw').createResumableUpload()
    const put = (contentRange: string, body?: Buffer): Promise<Response> =>
      fetch(uri, { method: 'PUT', headers: { 'content-range': contentRange }, ...(body && { body }) })
    const data = bytes(RESUMABLE_CHUNK_UNIT + 100)
    let response = await put('bytes */*')
    expect([response.status, response.headers.get('range')]).toEqual([308, null])
    response = await put(`bytes 0-${data.length - 1}/*`, data)
    expect([response.status, response.headers.get('range')]).toEqual([308, `bytes=0-${RESUMABLE_CHUNK_UNIT - 1}`])
    response = await put(`bytes */${data.length}`)
    expect([response.status, response.headers.get('range')]).toEqual([308, `bytes=0-${RESUMABLE_CHUNK_UNIT - 1}`])
    // Resending from before the persisted end is fine: the bytes the session holds are skipped.
    response = await put(`bytes 100-${data.length - 1}/${data.length}`, data.subarray(100))
    expect(response.status).toBe(200)
    expect(await response.json()).toMatchObject({ name: 'raw', size: String(data.length), crc32c: gcsCrc32c(data) })
    expect(fingerprint(fake.read('uploads', 'raw'))).toBe(fingerprint(data))
    expect((await put('bytes */*')).status).toBe(200)
  })

  it('stores nothing of a single-request upload whose client goes away before the end of its body', async () => {
    fake.createBucket('uploads')
    const request = httpRequest(`${fake.endpoint}/upload/storage/v1/b/uploads/o?uploadType=media&name=cut`, {
      method: 'POST', headers: { 'content-length': '10' },
    })
    request.on('error', () => undefined)
    request.write('12345')
    await new Promise((resolve) => setTimeout(resolve, 50))
    request.destroy()
    await new Promise((resolve) => setTimeout(resolve, 100))
    expect(fake.requests.map((r) => r.query.name)).toEqual(['cut'])
    expect(fake.objectNames('uploads')).toEqual([])
  })

  it('lists by prefix and delimiter in pages of maxResults', async () => {
    fake.createBucket('uploads')
    const names = ['a/1', 'a/2', 'a/3', 'a/sub/x', 'a/sub/y', 'a0', 'b/1']
    for (const name of names) await storage.bucket('uploads').file(name).save(name, { resumable: false })
    const pages: Array<{ files: string[]; prefixes: unknown }> = []
    let query: Record<string, unknown> | null = { prefix: 'a/', delimiter: '/', maxResults: 2, autoPaginate: false }
    while (query !== null) {
      const [files, next, response] = (await storage.bucket('uploads').getFiles(query)) as unknown as
        [File[], Record<string, unknown> | null, { prefixes?: string[] }]
      pages.push({ files: files.map((f) => f.name), prefixes: response.prefixes })
      query = next
    }
    expect(pages).toEqual([
      { files: ['a/1', 'a/2'], prefixes: undefined },
      { files: ['a/3'], prefixes: ['a/sub/'] },
    ])
    const [all] = await storage.bucket('uploads').getFiles({ prefix: 'a' })
    expect(all.map((f) => f.name)).toEqual(names.slice(0, 6))
  })

  it('composes 3 and 32 sources, with a crc32c computed over the joined bytes; 33 are refused', async () => {
    fake.createBucket('uploads')
    const bucket = storage.bucket('uploads')
    const sources: File[] = []
    for (let i = 0; i < 33; i++) {
      sources.push(bucket.file(`key_${i}`))
      await sources[i]!.save(bytes(1000 + i, i), { resumable: false })
    }
    const joined = (count: number): Buffer => Buffer.concat(sources.slice(0, count).map((s) => fake.read('uploads', s.name)!))
    for (const count of [3, 32]) {
      const [composed] = await bucket.combine(sources.slice(0, count), `key-${count}`)
      const [metadata] = await composed.getMetadata()
      expect(metadata).toMatchObject({ size: String(joined(count).length), componentCount: count, crc32c: gcsCrc32c(joined(count)) })
      // GCS gives composite objects no MD5.
      expect(metadata.md5Hash).toBeUndefined()
      expect(fingerprint(await download(composed))).toBe(fingerprint(joined(count)))
    }
    expect(await codeOf(bucket.combine(sources, 'key-33'))).toBe(400)
    expect(fake.read('uploads', 'key-33')).toBeUndefined()
  })

  it('copies an object (rewriteTo)', async () => {
    fake.createBucket('uploads')
    const source = storage.bucket('uploads').file('source')
    await source.save('copied bytes', { resumable: false, metadata: { metadata: { m: '1' } } })
    await source.copy('copy')
    expect(fake.read('uploads', 'copy')?.toString()).toBe('copied bytes')
    expect((await storage.bucket('uploads').file('copy').getMetadata())[0].metadata).toEqual({ m: '1' })
  })

  it('deletes an object; deleting it again answers 404', async () => {
    fake.createBucket('uploads')
    const file = storage.bucket('uploads').file('gone')
    await file.save('x', { resumable: false })
    await file.delete()
    expect(fake.objectNames('uploads')).toEqual([])
    expect(await codeOf(file.delete())).toBe(404)
    await file.delete({ ignoreNotFound: true })
  })

  it('answers 412 when ifGenerationMatch or ifMetagenerationMatch does not hold', async () => {
    fake.createBucket('uploads')
    const file = storage.bucket('uploads').file('guarded')
    await file.save('first', { resumable: false, preconditionOpts: { ifGenerationMatch: 0 } })
    expect(await codeOf(file.save('second', { resumable: false, preconditionOpts: { ifGenerationMatch: 0 } }))).toBe(412)
    // A resumable upload fails when its session is created; the SDK passes on gaxios' error there, with `status`.
    expect((await failureOf(file.save('second', { resumable: true, preconditionOpts: { ifGenerationMatch: 0 } }))).status).toBe(412)
    expect(await codeOf(storage.bucket('uploads').combine([file], file, { ifGenerationMatch: 0 }))).toBe(412)
    const [{ generation }] = await file.getMetadata()
    expect(await codeOf(file.setMetadata({ metadata: { x: '1' } }, { ifMetagenerationMatch: 2 }))).toBe(412)
    expect(await codeOf(file.delete({ ifGenerationMatch: Number(generation) + 1 }))).toBe(412)
    expect(fake.read('uploads', 'guarded')?.toString()).toBe('first')
    await file.save('second', { resumable: false, preconditionOpts: { ifGenerationMatch: Number(generation) } })
    await file.delete({ ifGenerationMatch: Number((await file.getMetadata())[0].generation) })
    expect(fake.objectNames('uploads')).toEqual([])
  })

  it('surfaces an injected 503 when retries are off', async () => {
    fake.createBucket('uploads')
    await storage.bucket('uploads').file('flaky').save('x', { resumable: false })
    fake.failNext({ method: 'GET', pathIncludes: '/o/flaky', status: 503 })
    const noRetries = storageFor({ autoRetry: false })
    const before = fake.requests.length
    expect(await codeOf(noRetries.bucket('uploads').file('flaky').getMetadata())).toBe(503)
    expect(fake.requests.length - before).toBe(1)
  })

  it('lets the SDK retry injected 503s by default, and counts the attempts', async () => {
    fake.createBucket('uploads')
    await storage.bucket('uploads').file('flaky').save('x', { resumable: false })
    fake.failNext({ method: 'GET', pathIncludes: '/o/flaky', status: 503, times: 2 })
    // A retry waits 2^n s plus up to 1 s by default; metadata calls accept a cap below that (uploads do not).
    const quickRetries = storageFor({ maxRetryDelay: 0.05 })
    const [metadata] = await quickRetries.bucket('uploads').file('flaky').getMetadata()
    expect(metadata.name).toBe('flaky')
    expect(fake.requests.filter((r) => r.method === 'GET' && r.path.endsWith('/o/flaky'))).toHaveLength(3)
  })

  it('picks the requests a fault applies to by object name, in the path or in an upload\'s name parameter', async () => {
    fake.createBucket('uploads')
    const noRetries = storageFor({ autoRetry: false })
    fake.failNext({ method: 'POST', nameIncludes: 'key_1', status: 503 })
    await noRetries.bucket('uploads').file('key_0').save('zero', { resumable: false })
    expect(await codeOf(noRetries.bucket('uploads').file('key_1').save('one', { resumable: false }))).toBe(503)
    fake.failNext({ nameIncludes: 'key_0', status: 500 })
    expect(await codeOf(noRetries.bucket('uploads').file('key_0').getMetadata())).toBe(500)
    expect(fake.objectNames('uploads')).toEqual(['key_0'])
  })

  it('holds a stalled request until it is released', async () => {
    fake.createBucket('uploads')
    await storage.bucket('uploads').file('slow').save('x', { resumable: false })
    const stall = fake.stallNext({ method: 'GET', pathIncludes: '/o/slow' })
    let settled = false
    const pending = storage.bucket('uploads').file('slow').getMetadata().finally(() => { settled = true })
    expect((await stall.arrived).path).toBe('/storage/v1/b/uploads/o/slow')
    expect(settled).toBe(false)
    stall.release()
    expect((await pending)[0].name).toBe('slow')
  })
})

describe('the GCS fake on a request it does not speak', () => {
  it('answers 501 and records it, so the gap is visible', async () => {
    fake = await startGcsFake()
    try {
      expect(await codeOf(storageFor().getBuckets())).toBe(501)
      expect(fake.unhandled.map((r) => `${r.method} ${r.path}`)).toEqual(['GET /storage/v1/b'])
    } finally {
      await fake.stop()
    }
  })
})
