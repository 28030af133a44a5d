import { createHash } from 'node:crypto'
import { Readable } from 'node:stream'
import { AbortMultipartUploadCommand, CreateMultipartUploadCommand, type S3Client, UploadPartCommand } from '@aws-sdk/client-s3'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { signPayload } from '../../src/store/s3/payload-hash.js'
import { describeWithServer } from '../servers/availability.js'
import { radosgw } from '../servers/ceph-rgw.js'
import { freshBucket, removeBucket, s3ClientFor } from './s3-support.js'

// What content hashes buy (`--s3-disable-content-hashes` off): a part whose bytes differ from the SHA-256
// it was signed with is refused by the server, not stored.
describeWithServer('SHA-256-signed parts on radosgw', radosgw, (server) => {
  let s3: S3Client
  let bucket: string
  let uploadId: string
  const bytes = Buffer.from('the bytes of one part, as the gateway received them')
  const part = (body: Buffer, sha256: string) =>
    signPayload(new UploadPartCommand({ Bucket: bucket, Key: 'object', UploadId: uploadId, PartNumber: 1, Body: Readable.from([body]), ContentLength: body.length }), sha256)

  beforeAll(async () => {
    bucket = await freshBucket(server())
    s3 = s3ClientFor(server())
    uploadId = (await s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: 'object' }))).UploadId ?? ''
  })
  afterAll(async () => {
    await s3?.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: 'object', UploadId: uploadId }))
    s3?.destroy()
    await removeBucket(server(), bucket)
  })

  it('stores a part that matches its hash', async () => {
    const output = await s3.send(part(bytes, createHash('sha256').update(bytes).digest('hex')))
    expect(output.ETag).toBeTruthy()
  })

  it('refuses a part damaged on the way (its bytes no longer match the hash it was signed with)', async () => {
    const damaged = Buffer.from(bytes)
    damaged.writeUInt8(damaged.readUInt8(3) ^ 1, 3)
    await expect(s3.send(part(damaged, createHash('sha256').update(bytes).digest('hex')))).rejects.toMatchObject({ name: 'XAmzContentSHA256Mismatch' })
  })
})
