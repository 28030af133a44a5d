import { createHash } from 'node:crypto'
import { GetObjectCommand, HeadObjectCommand, ListMultipartUploadsCommand, ListPartsCommand, type S3Client } from '@aws-sdk/client-s3'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { pseudoRandomBytes } from '../../src/store/conformance/support.js'
import type { S3Store } from '../../src/store/s3/s3-store.js'
import { describeWithServer } from '../servers/availability.js'
import { radosgw, type RadosgwServer } from '../servers/ceph-rgw.js'
import { freshBucket, KiB, MiB, openStore, radosgwWithSmallParts, removeBucket, s3ClientFor } from './s3-support.js'

const NEVER = new AbortController().signal

async function* chunks(data: Buffer, size = 64 * KiB): AsyncGenerator<Uint8Array> {
  for (let at = 0; at < data.length; at += size) yield data.subarray(at, Math.min(data.length, at + size))
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex')
}

async function text(s3: S3Client, Bucket: string, Key: string): Promise<string> {
  const output = await s3.send(new GetObjectCommand({ Bucket, Key }))
  return (await output.Body?.transformToString('utf8')) ?? ''
}

/** A bucket and a store on it for a describe block, removed afterwards. */
function withStore(server: () => RadosgwServer, options: Parameters<typeof openStore>[2]): () => { store: S3Store; bucket: string; s3: S3Client } {
  let context: { store: S3Store; bucket: string; s3: S3Client } | undefined
  beforeAll(async () => {
    const bucket = await freshBucket(server())
    context = { bucket, store: await openStore(server(), bucket, options), s3: s3ClientFor(server()) }
  })
  afterAll(async () => {
    if (context === undefined) return
    await context.store.close()
    context.s3.destroy()
    await removeBucket(server(), context.bucket)
  })
  return () => {
    if (context === undefined) throw new Error('no store: beforeAll failed')
    return context
  }
}

describeWithServer("S3 store: tusd's s3store layout, object by object", radosgwWithSmallParts(), (server) => {
  const context = withStore(server, { objectPrefix: 'uploads', minPartSize: 64 * KiB, partSize: 128 * KiB })

  it('writes .info as tusd does, the metadata on the multipart upload, bytes past the last part to .part, and the object at finish', async () => {
    const { store, bucket: Bucket, s3 } = context()
    const objectId = '0123456789abcdef0123456789abcdef'
    const data = pseudoRandomBytes(300 * KiB, 11)
    const upload = await store.create({ id: objectId, length: data.length, metadata: { filename: 'Menü.txt', filetype: 'text/plain', empty: null } }, NEVER)
    const { id } = upload.state
    expect(id).toMatch(new RegExp(`^${objectId}\\+[A-Za-z0-9._~=-]+$`))
    const UploadId = id.slice(objectId.length + 1)
    const Key = `uploads/${objectId}`

    // .info: tusd's FileInfo JSON, in its field order, written once; our own field (createdAt) after them.
    const infoText = await text(s3, Bucket, `${Key}.info`)
    const info = JSON.parse(infoText) as Record<string, unknown>
    expect(Object.keys(info)).toEqual(['ID', 'Size', 'SizeIsDeferred', 'Offset', 'MetaData', 'IsPartial', 'IsFinal', 'PartialUploads', 'Storage', 'createdAt', 'metadataKeysWithoutValue'])
    expect(info).toMatchObject({
      ID: id,
      Size: data.length,
      SizeIsDeferred: false,
      Offset: 0,
      MetaData: { filename: 'Menü.txt', filetype: 'text/plain', empty: '' },
      IsPartial: false,
      IsFinal: false,
      PartialUploads: null,
      Storage: { Bucket, Key, Type: 's3store' },
    })
    expect(Object.keys(info['Storage'] as object)).toEqual(['Bucket', 'Key', 'Type'])
    const uploads = await s3.send(new ListMultipartUploadsCommand({ Bucket, Prefix: 'uploads/' }))
    expect(uploads.Uploads?.map((u) => [u.Key, u.UploadId])).toEqual([[Key, UploadId]])

    // 170 KiB: one part of 128 KiB, 42 KiB (less than a part's minimum) in .part with the record of one committed part.
    await upload.append(chunks(data.subarray(0, 170 * KiB)), NEVER)
    const parts = async (): Promise<number[]> =>
      ((await s3.send(new ListPartsCommand({ Bucket, Key, UploadId }))).Parts ?? []).map((part) => part.Size ?? 0)
    expect(await parts()).toEqual([128 * KiB])
    const tail = await s3.send(new HeadObjectCommand({ Bucket, Key: `${Key}.part` }))
    expect(tail.ContentLength).toBe(42 * KiB)
    expect(tail.Metadata?.['committed-parts']).toBe('1')

    // The rest on a fresh handle: the 42 KiB start the second part; the last 44 KiB are the upload's last part.
    const again = await store.open(id, NEVER)
    expect(again.state.offset).toBe(170 * KiB)
    expect((await again.append(chunks(data.subarray(170 * KiB)), NEVER)).offset).toBe(data.length)
    expect(await parts()).toEqual([128 * KiB, 128 * KiB, 44 * KiB])
    expect((await s3.send(new HeadObjectCommand({ Bucket, Key: `${Key}.part` }))).ContentLength).toBe(0)

    await again.finish(NEVER)
    const object = await s3.send(new HeadObjectCommand({ Bucket, Key }))
    expect(object.ContentLength).toBe(data.length)
    expect(object.ContentType).toBe('text/plain')
    expect(object.Metadata).toEqual({ filename: 'Men?.txt', filetype: 'text/plain', empty: '' })
    const stored = Buffer.from((await (await s3.send(new GetObjectCommand({ Bucket, Key }))).Body?.transformToByteArray()) ?? [])
    expect(sha256(stored)).toBe(sha256(data))
    // tusd never rewrites .info for bytes (its Offset stays 0) and keeps it after finish; .part is gone.
    expect(await text(s3, Bucket, `${Key}.info`)).toBe(infoText)
    await expect(s3.send(new HeadObjectCommand({ Bucket, Key: `${Key}.part` }))).rejects.toMatchObject({ $metadata: { httpStatusCode: 404 } })
    const finished = await store.open(id, NEVER)
    expect(finished.finished).toBe(true)
    expect(finished.state).toMatchObject({ offset: data.length, length: data.length })
  })

  it('declares a deferred length by rewriting .info as tusd does (Size, SizeIsDeferred)', async () => {
    const { store, bucket: Bucket, s3 } = context()
    const upload = await store.create({ id: 'deferred0123456789abcdef01234567', metadata: {} }, NEVER)
    const key = 'uploads/deferred0123456789abcdef01234567.info'
    expect(JSON.parse(await text(s3, Bucket, key))).toMatchObject({ Size: 0, SizeIsDeferred: true })
    await upload.append(chunks(Buffer.from('hello')), NEVER)
    await upload.update({ length: 5 }, NEVER)
    expect(JSON.parse(await text(s3, Bucket, key))).toMatchObject({ Size: 5, SizeIsDeferred: false, Offset: 0 })
  })

  it('refuses a wanted object id whose .info exists, and leaves the first upload alone', async () => {
    const { store } = context()
    const first = await store.create({ id: 'taken', length: 3, metadata: {} }, NEVER)
    await first.append(chunks(Buffer.from('abc')), NEVER)
    await expect(store.create({ id: 'taken', length: 9, metadata: {} }, NEVER)).rejects.toThrow(/exists already/)
    expect((await store.open(first.state.id, NEVER)).state).toMatchObject({ offset: 3, length: 3 })
  })

  it('answers an id whose multipart upload is not the one .info names as not found', async () => {
    const { store } = context()
    const upload = await store.create({ id: 'named', length: 3, metadata: {} }, NEVER)
    await expect(store.open('named+someOtherMultipartId', NEVER)).rejects.toMatchObject({ code: 'UPLOAD_NOT_FOUND' })
    await expect(store.open('named', NEVER)).rejects.toMatchObject({ code: 'UPLOAD_NOT_FOUND' })
    expect((await store.open(upload.state.id, NEVER)).state.offset).toBe(0)
  })
})

// radosgw as configured out of the box: parts but the last must be 5 MiB at least, as on AWS S3.
describeWithServer('S3 store with real 5 MiB parts (radosgw defaults)', radosgw, (server) => {
  const context = withStore(server, { minPartSize: undefined, partSize: 5 * MiB })

  it('uploads 13 MiB in three appends as parts of 5, 5 and 3 MiB, with 3 MiB kept in .part between', async () => {
    const { store, bucket: Bucket, s3 } = context()
    const data = pseudoRandomBytes(13 * MiB, 12)
    const upload = await store.create({ id: 'real-parts', length: data.length, metadata: {} }, NEVER)
    const Key = 'real-parts'
    const UploadId = upload.state.id.slice('real-parts+'.length)
    const sizes = async (): Promise<number[]> => ((await s3.send(new ListPartsCommand({ Bucket, Key, UploadId }))).Parts ?? []).map((part) => part.Size ?? 0)
    await (await store.open(upload.state.id, NEVER)).append(chunks(data.subarray(0, 3 * MiB)), NEVER)
    expect(await sizes()).toEqual([])
    expect((await s3.send(new HeadObjectCommand({ Bucket, Key: `${Key}.part` }))).ContentLength).toBe(3 * MiB)
    await (await store.open(upload.state.id, NEVER)).append(chunks(data.subarray(3 * MiB, 10 * MiB)), NEVER)
    expect(await sizes()).toEqual([5 * MiB, 5 * MiB])
    const last = await store.open(upload.state.id, NEVER)
    expect((await last.append(chunks(data.subarray(10 * MiB)), NEVER)).offset).toBe(data.length)
    await last.finish(NEVER)
    const finished = await store.open(upload.state.id, NEVER)
    const read = await finished.read?.({ start: 5 * MiB - 10, end: 10 * MiB + 10 }, NEVER)
    const bytes: Buffer[] = []
    for await (const chunk of read ?? []) bytes.push(Buffer.from(chunk as Uint8Array))
    expect(sha256(Buffer.concat(bytes))).toBe(sha256(data.subarray(5 * MiB - 10, 10 * MiB + 10)))
  })

  it('keeps a tail below 5 MiB in .part when an append ends early, whatever the part size', async () => {
    const { store, bucket: Bucket, s3 } = context()
    const upload = await store.create({ id: 'early-end', length: 20 * MiB, metadata: {} }, NEVER)
    await upload.append(chunks(pseudoRandomBytes(7 * MiB, 13)), NEVER)
    const Key = 'early-end'
    const parts = await s3.send(new ListPartsCommand({ Bucket, Key, UploadId: upload.state.id.slice('early-end+'.length) }))
    expect(parts.Parts?.map((part) => part.Size)).toEqual([5 * MiB])
    expect((await s3.send(new HeadObjectCommand({ Bucket, Key: `${Key}.part` }))).ContentLength).toBe(2 * MiB)
    expect((await store.open(upload.state.id, NEVER)).state.offset).toBe(7 * MiB)
  })
})
