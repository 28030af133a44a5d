import { createHash } from 'node:crypto'
import * as tus from 'tus-js-client'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { TestClient } from '../test/support/client.js'
import { startGateway, type TestGateway } from '../test/support/gateway.js'
import { http1Client } from '../test/support/http1-client.js'
import { download, head } from '../test/support/tus.js'

const MiB = 1024 * 1024
const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex')

// Deterministic bytes (xorshift32), so that a failure reproduces and misplaced bytes show.
function pseudoRandomBytes(size: number): Buffer {
  const words = new Int32Array(Math.ceil(size / 4))
  let state = 0x2545f491
  for (let i = 0; i < words.length; i++) {
    state ^= state << 13
    state ^= state >>> 17
    state ^= state << 5
    words[i] = state
  }
  return Buffer.from(words.buffer, 0, size)
}

interface Sent {
  readonly method: string
  readonly concat: string | undefined
}

/** Runs one tus-js-client upload to its end; resolves with its URL and the requests it made. */
function upload(data: Buffer, options: tus.UploadOptions): Promise<{ url: string; sent: Sent[] }> {
  const sent: Sent[] = []
  return new Promise((resolve, reject) => {
    const instance = new tus.Upload(data, {
      retryDelays: [0, 100],
      storeFingerprintForResuming: false,
      ...options,
      onBeforeRequest: (request) => {
        sent.push({ method: request.getMethod(), concat: request.getHeader('Upload-Concat') })
      },
      onSuccess: () => resolve({ url: instance.url ?? '', sent }),
      onError: reject,
    })
    instance.start()
  })
}

// tus concatenation as tus-js-client 4.3.1 uses it: `parallelUploads` splits the file into partial uploads sent
// side by side, then creates the final upload from their absolute URLs.
describe('tus-js-client with parallelUploads', () => {
  let gateway: TestGateway
  let client: TestClient

  beforeAll(async () => {
    gateway = await startGateway()
    client = http1Client(gateway.port)
  })
  afterAll(async () => {
    await client?.close()
    await gateway?.close()
  })

  it('[T-50] [T-51] [T-53] uploads 64 MiB as 4 partial uploads and a final upload, downloaded byte for byte', async () => {
    const data = pseudoRandomBytes(64 * MiB)
    const { url, sent } = await upload(data, {
      endpoint: `http://127.0.0.1:${gateway.port}${gateway.basePath}`,
      parallelUploads: 4,
      metadata: { filename: 'parallel.bin', filetype: 'application/octet-stream' },
    })
    const creations = sent.filter((request) => request.method === 'POST')
    expect(creations.filter((request) => request.concat === 'partial')).toHaveLength(4)
    expect(creations.filter((request) => request.concat?.startsWith('final;'))).toHaveLength(1)
    const path = new URL(url).pathname
    const state = await head(client, path)
    expect(state.headers['upload-offset']).toBe(String(data.length))
    expect(state.headers['upload-length']).toBe(String(data.length))
    const fetched = await download(client, path)
    expect(fetched.status).toBe(200)
    expect(fetched.body.length).toBe(data.length)
    expect(sha256(fetched.body)).toBe(sha256(data))
    expect(fetched.headers['content-disposition']).toContain('parallel.bin')
  })

  it('uploads with parallelUploads and chunkSize: several PATCH requests per partial upload', async () => {
    const data = pseudoRandomBytes(3 * MiB + 333)
    const { url } = await upload(data, {
      endpoint: `http://127.0.0.1:${gateway.port}${gateway.basePath}`,
      parallelUploads: 3,
      chunkSize: 256 * 1024,
    })
    const fetched = await download(client, new URL(url).pathname)
    expect(sha256(fetched.body)).toBe(sha256(data))
  })
})
