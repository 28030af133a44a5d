import { createHash, randomBytes } from 'node:crypto'
import * as tus from 'tus-js-client'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { TestClient } from '../test/support/client.js'
import { startGateway, type TestGateway } from '../test/support/gateway.js'
import { http1Client } from '../test/support/http1-client.js'
import { download, storedOffset } from '../test/support/tus.js'

const MiB = 1024 * 1024
const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex')

interface Sent {
  readonly method: string
  readonly offset: string | undefined
}

/** Runs one tus-js-client upload to its end; resolves with its URL and the requests it made. */
function upload(data: Buffer, options: tus.UploadOptions): { done: Promise<{ url: string; sent: Sent[] }>; upload: tus.Upload } {
  const sent: Sent[] = []
  let resolveDone!: (value: { url: string; sent: Sent[] }) => void
  let rejectDone!: (error: Error) => void
  const done = new Promise<{ url: string; sent: Sent[] }>((resolve, reject) => {
    resolveDone = resolve
    rejectDone = reject
  })
  const instance = new tus.Upload(data, {
    retryDelays: [0, 100],
    storeFingerprintForResuming: false,
    ...options,
    onBeforeRequest: (request) => {
      sent.push({ method: request.getMethod(), offset: request.getHeader('Upload-Offset') })
    },
    onSuccess: () => resolveDone({ url: instance.url ?? '', sent }),
    onError: (error) => rejectDone(error),
  })
  instance.start()
  return { done, upload: instance }
}

// tus-js-client 4.3.1 in Node speaks HTTP/1.1, in cleartext or over TLS (ALPN http/1.1 on the same port).
describe.each([
  ['http', false],
  ['https', true],
] as const)('tus-js-client over %s', (scheme, tls) => {
  let gateway: TestGateway
  let client: TestClient
  let endpoint: string
  let httpStack: tus.HttpStack | undefined
  let data: Buffer

  beforeAll(async () => {
    gateway = await startGateway()
    client = http1Client(gateway.port)
    endpoint = `${scheme}://127.0.0.1:${gateway.port}${gateway.basePath}`
    httpStack = tls ? new tus.DefaultHttpStack({ ca: gateway.ca }) : undefined
    data = randomBytes(3 * MiB + 12345)
  })
  afterAll(async () => {
    await client?.close()
    await gateway?.close()
  })

  const options = (): tus.UploadOptions => ({ endpoint, ...(httpStack === undefined ? {} : { httpStack }) })
  async function expectStored(url: string): Promise<void> {
    const path = new URL(url).pathname
    expect(await storedOffset(client, path)).toBe(data.length)
    const fetched = await download(client, path)
    expect(fetched.status).toBe(200)
    expect(sha256(fetched.body)).toBe(sha256(data))
  }

  it('uploads a file in one PATCH, stored byte for byte', async () => {
    const { done } = upload(data, { ...options(), metadata: { filename: 'random.bin', filetype: 'application/octet-stream' } })
    const { url, sent } = await done
    expect(sent.map((request) => request.method)).toEqual(['POST', 'PATCH'])
    expect(url.startsWith(endpoint)).toBe(true)
    await expectStored(url)
    const fetched = await download(client, new URL(url).pathname)
    expect(fetched.headers['content-disposition']).toBe(`attachment; filename="random.bin"; filename*=UTF-8''random.bin`)
  })

  it('uploads with the data in the creation request (creation-with-upload)', async () => {
    const { done } = upload(data, { ...options(), uploadDataDuringCreation: true })
    const { url, sent } = await done
    expect(sent.map((request) => request.method)).toEqual(['POST'])
    await expectStored(url)
  })

  it('uploads in 1 MiB chunks, one PATCH per chunk at the right offset', async () => {
    const { done } = upload(data, { ...options(), chunkSize: MiB })
    const { url, sent } = await done
    const patches = sent.filter((request) => request.method === 'PATCH')
    expect(patches.map((request) => request.offset)).toEqual(['0', String(MiB), String(2 * MiB), String(3 * MiB)])
    await expectStored(url)
  })

  it('uploads with a deferred length', async () => {
    const { done } = upload(data, { ...options(), chunkSize: MiB, uploadLengthDeferred: true })
    const { url } = await done
    await expectStored(url)
  })

  it('resumes an aborted upload with a fresh Upload from the stored uploadUrl', async () => {
    const { upload: first, done: firstDone } = upload(data, { ...options(), chunkSize: 256 * 1024 })
    firstDone.catch(() => {})
    let aborting: Promise<void> | undefined
    await new Promise<void>((resolve) => {
      first.options.onProgress = (bytesSent) => {
        if (bytesSent >= MiB && aborting === undefined) {
          aborting = first.abort()
          resolve()
        }
      }
    })
    await aborting
    const url = first.url
    expect(url).toBeTruthy()
    const path = new URL(url ?? '').pathname
    const offset = await storedOffset(client, path)
    expect(offset).toBeGreaterThan(0)
    expect(offset).toBeLessThan(data.length)

    // A fresh client knows nothing but the URL: it asks for the offset (HEAD) and sends only the rest.
    const { done } = upload(data, { ...options(), uploadUrl: url, chunkSize: 256 * 1024 })
    const { sent } = await done
    expect(sent[0]?.method).toBe('HEAD')
    expect(sent.find((request) => request.method === 'PATCH')?.offset).toBe(String(offset))
    expect(sent.some((request) => request.method === 'POST')).toBe(false)
    await expectStored(url ?? '')
  })

  it('terminates an upload with Upload.terminate', async () => {
    const { done } = upload(data.subarray(0, 1000), options())
    const { url } = await done
    await tus.Upload.terminate(url, httpStack === undefined ? {} : { httpStack })
    const response = await client.request({ method: 'HEAD', url: new URL(url).pathname, headers: { 'tus-resumable': '1.0.0' } })
    expect(response.status).toBe(404)
  })
})
