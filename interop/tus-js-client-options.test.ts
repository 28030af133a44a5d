import { createHash, randomBytes } from 'node:crypto'
import { Readable } from 'node:stream'
import * as tus from 'tus-js-client'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { TestClient } from '../test/support/client.js'
import { startGateway, type TestGateway } from '../test/support/gateway.js'
import { http1Client } from '../test/support/http1-client.js'
import { download, head } from '../test/support/tus.js'

const MiB = 1024 * 1024
const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex')

interface Sent {
  readonly method: string
  readonly override: string | undefined
  readonly length: string | undefined
  readonly headers: { readonly custom: string | undefined; readonly requestId: string | undefined }
}

/** Runs one tus-js-client upload to its end; resolves with its URL and the requests it made. */
function upload(input: Buffer | Readable, options: tus.UploadOptions): Promise<{ url: string; sent: Sent[] }> {
  const sent: Sent[] = []
  return new Promise((resolve, reject) => {
    const instance = new tus.Upload(input, {
      retryDelays: [0, 100],
      storeFingerprintForResuming: false,
      ...options,
      onBeforeRequest: (request) => {
        sent.push({
          method: request.getMethod(),
          override: request.getHeader('X-HTTP-Method-Override'),
          length: request.getHeader('Upload-Length'),
          headers: { custom: request.getHeader('X-Custom'), requestId: request.getHeader('X-Request-ID') },
        })
      },
      onSuccess: () => resolve({ url: instance.url ?? '', sent }),
      onError: reject,
    })
    instance.start()
  })
}

/** tus-js-client's UrlStorage in memory, to see what it keeps for resuming. */
class MemoryUrlStorage implements tus.UrlStorage {
  readonly entries = new Map<string, tus.PreviousUpload & { urlStorageKey: string; fingerprint: string }>()
  #next = 0

  async findAllUploads(): Promise<tus.PreviousUpload[]> {
    return [...this.entries.values()]
  }
  async findUploadsByFingerprint(fingerprint: string): Promise<tus.PreviousUpload[]> {
    return [...this.entries.values()].filter((entry) => entry.fingerprint === fingerprint)
  }
  async removeUpload(urlStorageKey: string): Promise<void> {
    this.entries.delete(urlStorageKey)
  }
  async addUpload(fingerprint: string, upload: tus.PreviousUpload): Promise<string> {
    const urlStorageKey = `key-${this.#next++}`
    this.entries.set(urlStorageKey, { ...upload, fingerprint, urlStorageKey })
    return urlStorageKey
  }
}

// The options of tus-js-client 4.3.1 that change what goes over the wire, each in a real upload.
describe('tus-js-client options', () => {
  let gateway: TestGateway
  let client: TestClient
  let endpoint: string
  let data: Buffer

  beforeAll(async () => {
    gateway = await startGateway()
    client = http1Client(gateway.port)
    endpoint = `http://127.0.0.1:${gateway.port}${gateway.basePath}`
    data = randomBytes(3 * MiB + 7)
  })
  afterAll(async () => {
    await client?.close()
    await gateway?.close()
  })

  async function expectStored(url: string, bytes: Buffer = data): Promise<void> {
    const path = new URL(url).pathname
    const state = await head(client, path)
    expect(state.headers['upload-offset']).toBe(String(bytes.length))
    expect(state.headers['upload-length']).toBe(String(bytes.length))
    expect(sha256((await download(client, path)).body)).toBe(sha256(bytes))
  }

  it('[T-09] overridePatchMethod: every PATCH goes as POST with X-HTTP-Method-Override', async () => {
    const { url, sent } = await upload(data, { endpoint, chunkSize: MiB, overridePatchMethod: true })
    const appends = sent.slice(1)
    expect(appends).toHaveLength(4)
    expect(appends.every((request) => request.method === 'POST' && request.override === 'PATCH')).toBe(true)
    await expectStored(url)
  })

  it('[T-09] [T-29] overridePatchMethod with uploadLengthDeferred: the last overridden PATCH declares the length', async () => {
    const { url, sent } = await upload(data, { endpoint, chunkSize: MiB, overridePatchMethod: true, uploadLengthDeferred: true })
    expect(sent.at(-1)).toMatchObject({ method: 'POST', override: 'PATCH', length: String(data.length) })
    await expectStored(url)
  })

  it('[T-29] uploadLengthDeferred with a stream of unknown size, read in chunks', async () => {
    const stream = Readable.from([data.subarray(0, MiB + 3), data.subarray(MiB + 3)])
    const { url, sent } = await upload(stream, { endpoint, chunkSize: MiB, uploadLengthDeferred: true })
    expect(sent[0]).toMatchObject({ method: 'POST', length: undefined })
    expect(sent.at(-1)).toMatchObject({ method: 'PATCH', length: String(data.length) })
    await expectStored(url)
  })

  it('[T-37] [T-53] parallelUploads with uploadDataDuringCreation: each partial upload carries its bytes in its POST', async () => {
    const { url, sent } = await upload(data, { endpoint, parallelUploads: 3, uploadDataDuringCreation: true })
    expect(sent.map((request) => request.method)).toEqual(['POST', 'POST', 'POST', 'POST'])
    await expectStored(url)
  })

  it('[T-09] [T-53] parallelUploads with overridePatchMethod and small chunks', async () => {
    const { url, sent } = await upload(data, { endpoint, parallelUploads: 3, overridePatchMethod: true, chunkSize: 500_000 })
    expect(sent.filter((request) => request.override === 'PATCH').length).toBeGreaterThan(3)
    await expectStored(url)
  })

  it('[T-55] custom headers and request ids on every request; final metadata echoed, UTF-8 file name served', async () => {
    const metadata = { filename: 'naïve résumé.bin', filetype: 'application/x-thing' }
    const { url, sent } = await upload(data, { endpoint, parallelUploads: 2, headers: { 'X-Custom': 'yes' }, addRequestId: true, metadata })
    expect(sent.every((request) => request.headers.custom === 'yes' && request.headers.requestId !== undefined)).toBe(true)
    await expectStored(url)
    const fetched = await download(client, new URL(url).pathname)
    expect(fetched.headers['content-disposition']).toBe(`attachment; filename="na_ve r_sum_.bin"; filename*=UTF-8''na%C3%AFve%20r%C3%A9sum%C3%A9.bin`)
  })

  it('[T-30] empty files: one POST with Upload-Length 0, also in parallel and with data during creation', async () => {
    for (const options of [{}, { uploadDataDuringCreation: true }, { parallelUploads: 2 }]) {
      const { url } = await upload(Buffer.alloc(0), { endpoint, ...options })
      await expectStored(url, Buffer.alloc(0))
    }
  })

  it('[T-01] resumes from a stored fingerprint, and removeFingerprintOnSuccess forgets it once done', async () => {
    const urlStorage = new MemoryUrlStorage()
    const fingerprint = async (): Promise<string> => 'the-file'
    const first = await upload(data, { endpoint, urlStorage, fingerprint, storeFingerprintForResuming: true })
    expect([...urlStorage.entries.values()]).toMatchObject([{ uploadUrl: first.url }])

    // A second Upload of the same file finds it and finishes at once: HEAD says it is complete, nothing is sent.
    const methods = await new Promise<string[]>((resolve, reject) => {
      const sent: string[] = []
      const again = new tus.Upload(data, {
        endpoint,
        urlStorage,
        fingerprint,
        removeFingerprintOnSuccess: true,
        retryDelays: [],
        onBeforeRequest: (request) => {
          sent.push(request.getMethod())
        },
        onSuccess: () => resolve(sent),
        onError: reject,
      })
      void again.findPreviousUploads().then((previous) => {
        const [last] = previous
        if (last !== undefined) again.resumeFromPreviousUpload(last)
        again.start()
      })
    })
    expect(methods).toEqual(['HEAD'])
    expect(urlStorage.entries.size).toBe(0)
  })
})
