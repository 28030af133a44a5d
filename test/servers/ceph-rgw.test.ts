import { randomBytes } from 'node:crypto'
import { Readable } from 'node:stream'
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListBucketsCommand,
  ListObjectsV2Command,
  ListPartsCommand,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
  UploadPartCommand,
  UploadPartCopyCommand,
} from '@aws-sdk/client-s3'
import { beforeAll, describe, expect, it } from 'vitest'
import { describeWithServer } from './availability.js'
import { radosgw, startRadosgw, type RadosgwServer } from './ceph-rgw.js'

// The S3 calls a resumable S3 store makes, against a real radosgw started by the harness.

/** An S3 client for a radosgw: path-style, and no aws-chunked bodies (radosgw answers 411 to them). */
function s3Client(server: RadosgwServer): S3Client {
  return new S3Client({
    endpoint: server.endpoint,
    region: server.region,
    credentials: { accessKeyId: server.accessKeyId, secretAccessKey: server.secretAccessKey },
    forcePathStyle: true,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  })
}

async function bodyOf(output: { Body?: { transformToByteArray(): Promise<Uint8Array> } }): Promise<Buffer> {
  if (output.Body === undefined) throw new Error('the answer has no body')
  return Buffer.from(await output.Body.transformToByteArray())
}

/** The HTTP status of an S3 error, or rethrows anything else. */
async function statusOf(call: Promise<unknown>): Promise<number | undefined> {
  try {
    await call
    return undefined
  } catch (error) {
    if (error instanceof S3ServiceException) return error.$metadata.httpStatusCode
    throw error
  }
}

const MiB = 1024 * 1024

describeWithServer('radosgw (S3 API through @aws-sdk/client-s3)', radosgw, (server) => {
  const Bucket = 'smoke'
  let s3: S3Client
  beforeAll(async () => {
    s3 = s3Client(server())
    await s3.send(new CreateBucketCommand({ Bucket }))
  })

  it('stores a streamed object and answers a ranged GET with 206 and the bytes asked for', async () => {
    const data = randomBytes(100_000)
    await s3.send(new PutObjectCommand({ Bucket, Key: 'ranged', Body: Readable.from([data.subarray(0, 60_000), data.subarray(60_000)]), ContentLength: data.length }))
    const ranged = await s3.send(new GetObjectCommand({ Bucket, Key: 'ranged', Range: 'bytes=1000-50999' }))
    expect(ranged.$metadata.httpStatusCode).toBe(206)
    expect(ranged.ContentRange).toBe(`bytes 1000-50999/${data.length}`)
    expect((await bodyOf(ranged)).equals(data.subarray(1000, 51_000))).toBe(true)
  })

  it('assembles a multipart upload from an uploaded part and a part copied from a range of another object', async () => {
    const Key = 'multipart'
    const first = randomBytes(5 * MiB)
    const source = randomBytes(300_000)
    await s3.send(new PutObjectCommand({ Bucket, Key: 'copy-source', Body: source }))
    const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket, Key }))
    const part1 = await s3.send(new UploadPartCommand({ Bucket, Key, UploadId, PartNumber: 1, Body: Readable.from([first]), ContentLength: first.length }))
    const part2 = await s3.send(
      new UploadPartCopyCommand({ Bucket, Key, UploadId, PartNumber: 2, CopySource: `${Bucket}/copy-source`, CopySourceRange: 'bytes=100-199999' }),
    )
    const listed = await s3.send(new ListPartsCommand({ Bucket, Key, UploadId }))
    expect(listed.Parts?.map((part) => [part.PartNumber, part.Size])).toEqual([
      [1, first.length],
      [2, 199_900],
    ])
    const completed = await s3.send(
      new CompleteMultipartUploadCommand({
        Bucket,
        Key,
        UploadId,
        MultipartUpload: { Parts: [{ PartNumber: 1, ETag: part1.ETag }, { PartNumber: 2, ETag: part2.CopyPartResult?.ETag }] },
      }),
    )
    // radosgw answers an empty ETag here; HeadObject has the real one.
    expect(completed.ETag ?? '').toMatch(/^$|^"[0-9a-f]{32}-2"$/)
    const head = await s3.send(new HeadObjectCommand({ Bucket, Key }))
    expect(head.ContentLength).toBe(first.length + 199_900)
    expect(head.ETag).toMatch(/^"[0-9a-f]{32}-2"$/)
    const stored = await bodyOf(await s3.send(new GetObjectCommand({ Bucket, Key })))
    expect(stored.equals(Buffer.concat([first, source.subarray(100, 200_000)]))).toBe(true)
  })

  it('aborts a multipart upload, after which its parts are gone (404)', async () => {
    const Key = 'aborted'
    const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket, Key }))
    await s3.send(new UploadPartCommand({ Bucket, Key, UploadId, PartNumber: 1, Body: randomBytes(1000) }))
    await s3.send(new AbortMultipartUploadCommand({ Bucket, Key, UploadId }))
    // radosgw says NoSuchKey where AWS says NoSuchUpload: both are 404.
    expect(await statusOf(s3.send(new ListPartsCommand({ Bucket, Key, UploadId })))).toBe(404)
  })

  it('lists objects by prefix and deletes one', async () => {
    for (const Key of ['list/a.info', 'list/a', 'list/b.info', 'other']) await s3.send(new PutObjectCommand({ Bucket, Key, Body: Key }))
    const listed = await s3.send(new ListObjectsV2Command({ Bucket, Prefix: 'list/' }))
    expect(listed.Contents?.map((object) => object.Key)).toEqual(['list/a', 'list/a.info', 'list/b.info'])
    await s3.send(new DeleteObjectCommand({ Bucket, Key: 'list/a' }))
    expect(await statusOf(s3.send(new HeadObjectCommand({ Bucket, Key: 'list/a' })))).toBe(404)
    const after = await s3.send(new ListObjectsV2Command({ Bucket, Prefix: 'list/' }))
    expect(after.Contents?.map((object) => object.Key)).toEqual(['list/a.info', 'list/b.info'])
  })
})

/** Two clusters started at the same moment, as two test files running in parallel do. */
async function startTwo(): Promise<{ clusters: RadosgwServer[]; stop(): Promise<void> }> {
  const results = await Promise.allSettled([startRadosgw(), startRadosgw()])
  const clusters = results.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []))
  const stop = async (): Promise<void> => {
    await Promise.all(clusters.map((cluster) => cluster.stop()))
  }
  const failed = results.find((result) => result.status === 'rejected')
  if (failed !== undefined) {
    await stop()
    throw failed.reason
  }
  return { clusters, stop }
}

describeWithServer('two radosgw clusters started at once', { ...radosgw, start: startTwo }, (pair) => {
  it('gives each its own port, directory and data', async () => {
    const [one, two] = pair().clusters as [RadosgwServer, RadosgwServer]
    expect(one.endpoint).not.toBe(two.endpoint)
    expect(one.dir).not.toBe(two.dir)
    await s3Client(one).send(new CreateBucketCommand({ Bucket: 'only-in-one' }))
    const buckets = await s3Client(two).send(new ListBucketsCommand({}))
    expect(buckets.Buckets?.map((bucket) => bucket.Name) ?? []).not.toContain('only-in-one')
  })
})

describe('radosgw availability', () => {
  it('names the missing commands and how to install them', () => {
    const saved = process.env.PATH
    process.env.PATH = '/nonexistent'
    try {
      expect(radosgw.unavailable()).toMatch(/^monmaptool, ceph-mon, ceph-osd, ceph, radosgw, radosgw-admin not installed \(apt-get install -y/)
    } finally {
      process.env.PATH = saved
    }
  })
})
