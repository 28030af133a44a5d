import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { GcsStore, type GcsStoreOptions } from '../../src/store/gcs/gcs-store.js'
import { startGcsFake, type GcsFake } from '../fakes/gcs/gcs-fake.js'
import { appendHeaders, appendStatus, draft, retrieveOffset } from '../ietf/draft-cases.js'
import { http1DraftClient } from '../ietf/draft-client.js'
import type { TestClient } from '../support/client.js'
import { startGateway, type TestGateway } from '../support/gateway.js'
import { http1Client } from '../support/http1-client.js'
import { createUpload, download, head, patch, TUS } from '../support/tus.js'
import { EMPTY, FINISHED, readAsTusd, TUSD_PREFIX, UNFINISHED, writeTusdBucket } from './tusd-bucket.js'

// A gateway on the GCS store, over HTTP, against a GCS fake (test/fakes/gcs, not GCS): a bucket tusd wrote,
// served and resumed by both protocols; GCS failing, stalled or gone; release requests and shutdown.

const KiB = 1024
const b64 = (text: string): string => Buffer.from(text).toString('base64')
const pseudoRandom = (size: number): Buffer => Buffer.from(Array.from({ length: size }, (_, i) => (i * 7919 + 13) % 251))

let fake: GcsFake
let store: GcsStore
let gateway: TestGateway
let client: TestClient

async function start(options: Partial<GcsStoreOptions> = {}, bucket = 'uploads'): Promise<void> {
  store = await GcsStore.connect({ bucket, endpoint: fake.endpoint, retry: { maxRetries: 2, maxDelayMs: 20 }, ...options })
  gateway = await startGateway({ store, experimentalProtocol: true })
  client = http1Client(gateway.port)
}

beforeEach(async () => {
  fake = await startGcsFake()
})
afterEach(async () => {
  await client?.close()
  await gateway?.close()
  await store?.close()
  await fake.stop()
  expect(fake.unhandled).toEqual([])
})

describe('a bucket tusd wrote, behind the gateway', () => {
  beforeEach(async () => {
    await writeTusdBucket(fake, 'tusd-bucket')
    await start({ objectPrefix: TUSD_PREFIX }, 'tusd-bucket')
  })
  const url = (id: string): string => `${gateway.basePath}${id}`

  it('[T-10] tus: HEAD of tusd\'s unfinished upload shows offset 10 of 26 and its metadata; PATCH resumes it, tusd reads it finished', async () => {
    const state = await head(client, url(UNFINISHED.id))
    expect(state.status).toBe(200)
    expect(state.headers).toMatchObject({
      'upload-offset': '10', 'upload-length': '26', 'upload-metadata': `filename ${b64('alphabet.txt')},filetype ${b64('text/plain')}`,
    })
    const resumed = await patch(client, url(UNFINISHED.id), 10, UNFINISHED.rest)
    expect([resumed.status, resumed.headers['upload-offset']]).toEqual([204, '26'])
    const file = await download(client, url(UNFINISHED.id))
    expect([file.status, file.headers['content-type'], file.text]).toEqual([200, 'text/plain', `0123456789${UNFINISHED.rest}`])
    expect(await readAsTusd(fake, 'tusd-bucket', `${TUSD_PREFIX}/${UNFINISHED.id}`)).toMatchObject({ offset: 26, finished: true })
  })

  it('tus: tusd\'s finished upload downloads as hello.txt, whole and by range', async () => {
    const file = await download(client, url(FINISHED.id))
    expect(file.status).toBe(200)
    expect(file.headers).toMatchObject({ 'content-type': 'text/plain', 'content-length': '16', 'content-disposition': expect.stringContaining('hello.txt') as unknown })
    expect(file.text).toBe(FINISHED.content)
    const range = await download(client, url(FINISHED.id), { range: 'bytes=6-9' })
    expect([range.status, range.text]).toEqual([206, 'from'])
  })

  it('[R-38] draft: tusd\'s upload shows its offset to an offset retrieval and completes with a draft append', async () => {
    const drafts = http1DraftClient(gateway.port)
    try {
      const v = 10
      const state = await retrieveOffset(drafts, url(EMPTY.id), v)
      expect(state.status).toBe(204)
      expect(state.headers).toMatchObject({ 'upload-offset': '0', 'upload-complete': '?0', 'upload-length': '8' })
      const first = await drafts.request({ method: 'PATCH', url: url(EMPTY.id), headers: appendHeaders(v, 0, false), body: '1234' })
      expect(first.status).toBe(appendStatus(v, false))
      const last = await drafts.request({ method: 'PATCH', url: url(EMPTY.id), headers: appendHeaders(v, 4, true), body: '5678' })
      expect(last.status).toBe(appendStatus(v, true))
      expect((await retrieveOffset(drafts, url(EMPTY.id), v)).headers).toMatchObject({ 'upload-offset': '8', 'upload-complete': '?1' })
      expect((await download(client, url(EMPTY.id))).text).toBe('12345678')
      expect(await readAsTusd(fake, 'tusd-bucket', `${TUSD_PREFIX}/${EMPTY.id}`)).toMatchObject({ offset: 8, finished: true })
    } finally {
      await drafts.close()
    }
  })

  it('draft: tusd\'s unfinished upload resumes with the draft after a tus HEAD, and the other way round', async () => {
    const drafts = http1DraftClient(gateway.port)
    try {
      expect((await retrieveOffset(drafts, url(UNFINISHED.id), 6)).headers['upload-offset']).toBe('10')
      const appended = await drafts.request({ method: 'PATCH', url: url(UNFINISHED.id), headers: appendHeaders(6, 10, false), body: 'abcdef' })
      expect(appended.status).toBe(appendStatus(6, false))
      expect((await head(client, url(UNFINISHED.id))).headers['upload-offset']).toBe('16')
      expect((await patch(client, url(UNFINISHED.id), 16, 'ghijklmnop')).status).toBe(204)
      expect((await download(client, url(UNFINISHED.id))).text).toBe('0123456789abcdefghijklmnop')
    } finally {
      await drafts.close()
    }
  })
})

describe('the gateway on GCS', () => {
  it('[T-08] advertises GCS\'s largest object, 5 TiB, as Tus-Max-Size and the draft\'s max-size', async () => {
    fake.createBucket('uploads')
    await start()
    const options = await client.request({ method: 'OPTIONS', url: gateway.basePath, headers: { ...TUS } })
    expect(options.headers['tus-max-size']).toBe(String(5 * 1024 ** 4))
    const created = await client.request({ method: 'POST', url: gateway.basePath, headers: draft(7, { 'upload-complete': '?0' }), body: '' })
    expect(created.headers['upload-limit']).toContain(`max-size=${5 * 1024 ** 4}`)
  })

  it('answers a PATCH GCS keeps failing with 503, Retry-After and the bytes stored, never internal text; the client resumes to the exact bytes', async () => {
    fake.createBucket('uploads')
    await start({ pieceSize: 64 * KiB })
    const data = pseudoRandom(256 * KiB)
    const location = await createUpload(client, gateway.basePath, { length: data.length })
    fake.failNext({ method: 'POST', nameIncludes: '_1', status: 503, times: 3 })
    const failed = await patch(client, location, 0, data)
    expect(failed.status).toBe(503)
    expect(failed.headers['retry-after']).toMatch(/^\d+$/)
    expect(failed.headers['upload-offset']).toBe(String(64 * KiB))
    expect(failed.text).not.toMatch(/GCS|503|127\.0\.0\.1|backendError|Injected/)
    expect((await head(client, location)).headers['upload-offset']).toBe(String(64 * KiB))
    expect((await patch(client, location, 64 * KiB, data.subarray(64 * KiB))).status).toBe(204)
    expect((await download(client, location)).body.equals(data)).toBe(true)
  })

  it('answers every request with 503 and Retry-After while GCS cannot be reached', async () => {
    fake.createBucket('uploads')
    await start()
    const location = await createUpload(client, gateway.basePath, { length: 5, data: 'hello' })
    await fake.stop()
    for (const response of [
      await head(client, location),
      await patch(client, location, 5, 'x'),
      await download(client, location),
      await client.request({ method: 'POST', url: gateway.basePath, headers: { ...TUS, 'upload-length': '1' } }),
    ]) {
      expect(response.status).toBe(503)
      expect(response.headers['retry-after']).toMatch(/^\d+$/)
      expect(response.text).not.toMatch(/ECONNREFUSED|127\.0\.0\.1/)
    }
    fake = await startGcsFake()
  })

  it('lets a HEAD interrupt a PATCH whose bytes GCS does not take: the stalled request is cut after the grace period', async () => {
    fake.createBucket('uploads')
    await start({ abortGraceMs: 200, requestTimeoutMs: 60_000 })
    const location = await createUpload(client, gateway.basePath, { length: 10_000 })
    const stall = fake.stallNext({ method: 'POST', nameIncludes: '_0' })
    const writer = http1Client(gateway.port)
    let sent = false
    async function* slowBody(): AsyncGenerator<Uint8Array> {
      yield Buffer.alloc(1000, 1)
      sent = true
      await new Promise((resolve) => setTimeout(resolve, 60_000))
    }
    const stuck = patch(writer, location, 0, slowBody()).catch((error: unknown) => error)
    await stall.arrived
    expect(sent).toBe(true)
    // The PATCH holds the upload; the HEAD asks it to let go, and its piece, stuck at GCS, is cut.
    const state = await head(client, location)
    expect(state.status).toBe(200)
    expect(state.headers['upload-offset']).toBe('0')
    stall.release()
    await writer.close().catch(() => undefined)
    await stuck
  })

  it('shuts down while a PATCH is stuck at GCS: the PATCH hears 503, the gateway closes', async () => {
    fake.createBucket('uploads')
    await start({ abortGraceMs: 200, requestTimeoutMs: 60_000 })
    const location = await createUpload(client, gateway.basePath, { length: 1000 })
    const stall = fake.stallNext({ method: 'POST', nameIncludes: '_0' })
    const writer = http1Client(gateway.port)
    const stuck = patch(writer, location, 0, Buffer.alloc(1000, 2))
    await stall.arrived
    await gateway.close()
    expect((await stuck).status).toBe(503)
    stall.release()
    await writer.close().catch(() => undefined)
  })
})
