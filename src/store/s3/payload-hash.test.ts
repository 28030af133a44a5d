import { createHash } from 'node:crypto'
import { Readable } from 'node:stream'
import { PutObjectCommand, S3Client, UploadPartCommand } from '@aws-sdk/client-s3'
import { describe, expect, it } from 'vitest'
import { signPayload } from './payload-hash.js'
import { S3Store } from './s3-store.js'

/** A client whose requests end here: the headers each request was signed with are kept in `sent`. */
function capturingClient(requestChecksumCalculation: 'WHEN_REQUIRED' | 'WHEN_SUPPORTED'): { client: S3Client; sent: Record<string, string>[] } {
  const sent: Record<string, string>[] = []
  const client = new S3Client({
    endpoint: 'http://127.0.0.1:9',
    region: 'us-east-1',
    credentials: { accessKeyId: 'key', secretAccessKey: 'secret' },
    forcePathStyle: true,
    requestChecksumCalculation,
    requestHandler: {
      handle: async (request: { headers: Record<string, string> }) => {
        sent.push({ ...request.headers })
        return { response: { statusCode: 200, headers: { etag: '"e"' }, body: Readable.from([]) } }
      },
    },
  })
  return { client, sent }
}

const bytes = Buffer.from('the bytes of one part')
const hash = createHash('sha256').update(bytes).digest('hex')
const part = () => new UploadPartCommand({ Bucket: 'b', Key: 'k', UploadId: 'u', PartNumber: 1, Body: Readable.from([bytes]), ContentLength: bytes.length })

describe('signPayload', () => {
  it('signs a streamed part with its SHA-256, which the signature covers', async () => {
    const { client, sent } = capturingClient('WHEN_REQUIRED')
    await client.send(signPayload(part(), hash))
    expect(sent[0]?.['x-amz-content-sha256']).toBe(hash)
    expect(sent[0]?.['authorization']).toMatch(/SignedHeaders=[^,]*x-amz-content-sha256/)
  })

  it('signs a streamed .part object the same way', async () => {
    const { client, sent } = capturingClient('WHEN_REQUIRED')
    await client.send(signPayload(new PutObjectCommand({ Bucket: 'b', Key: 'k.part', Body: Readable.from([bytes]), ContentLength: bytes.length }), hash))
    expect(sent[0]?.['x-amz-content-sha256']).toBe(hash)
  })

  it('leaves a stream unsigned without a hash (hashes turned off)', async () => {
    const { client, sent } = capturingClient('WHEN_REQUIRED')
    await client.send(signPayload(part(), undefined))
    expect(sent[0]?.['x-amz-content-sha256']).toBe('UNSIGNED-PAYLOAD')
  })

  it("keeps the SDK's own streamed checksum trailer where the SDK adds one", async () => {
    const { client, sent } = capturingClient('WHEN_SUPPORTED')
    await client.send(signPayload(part(), hash))
    expect(sent[0]?.['x-amz-content-sha256']).toBe('STREAMING-UNSIGNED-PAYLOAD-TRAILER')
  })
})

describe('S3Store.open', () => {
  it('signs parts when the client adds no checksums of its own (custom endpoints)', async () => {
    const store = await S3Store.open({ bucket: 'b', client: capturingClient('WHEN_REQUIRED').client, partBuffer: 'memory' })
    expect(store.signsPayloads).toBe(true)
    await store.close()
  })

  it("leaves the hashing to the SDK when it puts a CRC32 on every streamed body (AWS's default)", async () => {
    const store = await S3Store.open({ bucket: 'b', client: capturingClient('WHEN_SUPPORTED').client, partBuffer: 'memory' })
    expect(store.signsPayloads).toBe(false)
    await store.close()
  })
})
