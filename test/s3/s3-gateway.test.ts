import { createHash } from 'node:crypto'
import { GetObjectCommand, HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { TestClient } from '../support/client.js'
import { startGateway, type TestGateway } from '../support/gateway.js'
import { http1Client } from '../support/http1-client.js'
import { download, head, patch, TUS } from '../support/tus.js'
import { http1DraftClient, type DraftClient } from '../ietf/draft-client.js'
import { describeWithServer } from '../servers/availability.js'
import { freshBucket, openStore, radosgwWithSmallParts, removeBucket, s3ClientFor } from './s3-support.js'
import { writeTusdBucket, type TusdBucket } from './tusd-bucket.js'
import type { S3Store } from '../../src/store/s3/s3-store.js'

const TIB5 = 5 * 1024 ** 4
const b64 = (text: string): string => Buffer.from(text, 'utf8').toString('base64')
const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex')
const draft = (extra: Record<string, string> = {}): Record<string, string> => ({ 'upload-draft-interop-version': '8', ...extra })

describeWithServer('the gateway on S3 (radosgw)', radosgwWithSmallParts(), (server) => {
  let bucket: string
  let store: S3Store
  let gateway: TestGateway
  let client: TestClient
  let draftClient: DraftClient
  let s3: S3Client
  let tusd: TusdBucket

  beforeAll(async () => {
    bucket = await freshBucket(server())
    s3 = s3ClientFor(server())
    tusd = await writeTusdBucket(s3, bucket, 'uploads')
    store = await openStore(server(), bucket, { objectPrefix: 'uploads' })
    gateway = await startGateway({ store, experimentalProtocol: true })
    client = http1Client(gateway.port)
    draftClient = http1DraftClient(gateway.port)
  })
  afterAll(async () => {
    await client?.close()
    await draftClient?.close()
    await gateway?.close()
    await store?.close()
    s3?.destroy()
    if (bucket !== undefined) await removeBucket(server(), bucket)
  })
  const url = (id: string): string => `${gateway.basePath}${id}`

  describe('limits', () => {
    it('[T-08] announces what S3 can hold: Tus-Max-Size and the draft max-size are 5 TiB', async () => {
      const options = await client.request({ method: 'OPTIONS', url: gateway.basePath, headers: { ...TUS } })
      expect(options.headers['tus-max-size']).toBe(String(TIB5))
      const draftOptions = await draftClient.request({ method: 'OPTIONS', url: gateway.basePath, headers: draft() })
      expect(draftOptions.headers['upload-limit']).toBe(`max-size=${TIB5}`)
    })

    it('[T-34] refuses an upload larger than 5 TiB with 413, before anything is stored', async () => {
      const response = await client.request({ method: 'POST', url: gateway.basePath, headers: { ...TUS, 'upload-length': String(TIB5 + 1) } })
      expect(response.status).toBe(413)
    })
  })

  describe("a bucket tusd wrote, served as it is", () => {
    it("[T-10] [T-11] reports tusd's unfinished upload: offset of its parts and .part, length, metadata", async () => {
      const response = await head(client, url(tusd.unfinished.id))
      expect(response.status).toBe(200)
      expect(response.headers).toMatchObject({
        'upload-offset': String(tusd.unfinished.stored),
        'upload-length': String(tusd.unfinished.data.length),
        'upload-metadata': `filename ${b64('report.txt')},filetype ${b64('text/plain')}`,
      })
    })

    it("[T-15] resumes tusd's upload with tus, finishes it as tusd would, and serves it", async () => {
      const { id, data, stored, info } = tusd.unfinished
      const response = await patch(client, url(id), stored, data.subarray(stored))
      expect(response.status, response.text).toBe(204)
      expect(response.headers['upload-offset']).toBe(String(data.length))
      const got = await download(client, url(id))
      expect(got.status).toBe(200)
      expect(got.headers['content-type']).toBe('text/plain')
      expect(sha256(Buffer.from(got.body))).toBe(sha256(data))
      // The object is where tusd puts it, with tusd's metadata; .info is as tusd wrote it; .part is gone.
      const objectId = id.slice(0, id.indexOf('+'))
      const object = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: `uploads/${objectId}` }))
      expect(object).toMatchObject({ ContentLength: data.length, ContentType: 'text/plain', Metadata: { filename: 'report.txt', filetype: 'text/plain' } })
      const infoNow = await (await s3.send(new GetObjectCommand({ Bucket: bucket, Key: `uploads/${objectId}.info` }))).Body?.transformToString()
      expect(infoNow).toBe(info)
      await expect(s3.send(new HeadObjectCommand({ Bucket: bucket, Key: `uploads/${objectId}.part` }))).rejects.toMatchObject({ $metadata: { httpStatusCode: 404 } })
    })

    it("[R-44] resumes tusd's upload with the draft: offset retrieval, then an append that completes it", async () => {
      const { id, data, stored } = tusd.unfinishedDraft
      const offset = await draftClient.request({ method: 'HEAD', url: url(id), headers: draft() })
      expect(offset.status).toBe(204)
      expect(offset.headers).toMatchObject({ 'upload-offset': String(stored), 'upload-complete': '?0', 'upload-length': String(data.length) })
      const append = await draftClient.request({
        method: 'PATCH',
        url: url(id),
        headers: draft({ 'upload-offset': String(stored), 'upload-complete': '?1', 'content-type': 'application/partial-upload' }),
        body: data.subarray(stored),
      })
      expect(append.status, append.text).toBe(200)
      const got = await download(client, url(id))
      expect(sha256(Buffer.from(got.body))).toBe(sha256(data))
    })

    it("serves tusd's finished upload, ranges too", async () => {
      const { id, data } = tusd.finished
      expect((await head(client, url(id))).headers['upload-offset']).toBe(String(data.length))
      const whole = await download(client, url(id))
      expect(whole.headers['content-disposition']).toContain('done.bin')
      expect(sha256(Buffer.from(whole.body))).toBe(sha256(data))
      const range = await download(client, url(id), { range: 'bytes=131000-131200' })
      expect(range.status).toBe(206)
      expect(Buffer.from(range.body).equals(data.subarray(131_000, 131_201))).toBe(true)
      const draftHead = await draftClient.request({ method: 'HEAD', url: url(id), headers: draft() })
      expect(draftHead.headers).toMatchObject({ 'upload-offset': String(data.length), 'upload-complete': '?1' })
    })

    it("[T-29] resumes tusd's upload of deferred length, declaring the length with the last PATCH", async () => {
      const { id, data, stored } = tusd.deferred
      const before = await head(client, url(id))
      expect(before.headers).toMatchObject({ 'upload-offset': String(stored), 'upload-defer-length': '1' })
      const response = await patch(client, url(id), stored, data.subarray(stored), { 'upload-length': String(data.length) })
      expect(response.status, response.text).toBe(204)
      expect(sha256(Buffer.from((await download(client, url(id))).body))).toBe(sha256(data))
    })
  })

  describe('expiration', () => {
    it('[T-39] removes an expired upload from the bucket: the sweeper lists .info objects and terminates it', async () => {
      const expiring = await startGateway({ store, expireAfterMs: 500, expirationSweepIntervalMs: 100 })
      const expiringClient = http1Client(expiring.port)
      try {
        const created = await expiringClient.request({ method: 'POST', url: expiring.basePath, headers: { ...TUS, 'upload-length': '10' } })
        const location = created.headers.location ?? ''
        expect((await patch(expiringClient, location, 0, 'hello')).status).toBe(204)
        const objectId = (location.split('/').pop() ?? '').split('+')[0] ?? ''
        for (let tries = 0; ; tries++) {
          const gone = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: `uploads/${objectId}.info` })).then(
            () => false,
            () => true,
          )
          if (gone) break
          expect(tries).toBeLessThan(100)
          await new Promise((resolve) => setTimeout(resolve, 50))
        }
        await expect(s3.send(new HeadObjectCommand({ Bucket: bucket, Key: `uploads/${objectId}.part` }))).rejects.toMatchObject({ $metadata: { httpStatusCode: 404 } })
        expect([404, 410]).toContain((await head(expiringClient, location)).status)
      } finally {
        await expiringClient.close()
        await expiring.close()
      }
    })
  })

  describe('uploads of the gateway', () => {
    it('[T-43] drops a PATCH whose checksum fails, across a part boundary, and resumes byte-identical', async () => {
      const data = Buffer.alloc(300 * 1024, 7)
      const created = await client.request({ method: 'POST', url: gateway.basePath, headers: { ...TUS, 'upload-length': String(data.length) } })
      const location = created.headers.location ?? ''
      expect((await patch(client, location, 0, data.subarray(0, 100 * 1024))).status).toBe(204)
      const wrong = await patch(client, location, 100 * 1024, data.subarray(100 * 1024, 250 * 1024), { 'upload-checksum': `sha1 ${createHash('sha1').update('other').digest('base64')}` })
      expect(wrong.status).toBe(460)
      expect((await head(client, location)).headers['upload-offset']).toBe(String(100 * 1024))
      const sha1 = createHash('sha1').update(data.subarray(100 * 1024)).digest('base64')
      expect((await patch(client, location, 100 * 1024, data.subarray(100 * 1024), { 'upload-checksum': `sha1 ${sha1}` })).status).toBe(204)
      expect(sha256(Buffer.from((await download(client, location)).body))).toBe(sha256(data))
    })
  })
})
