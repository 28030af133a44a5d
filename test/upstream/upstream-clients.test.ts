import { createHash, randomBytes } from 'node:crypto'
import { connect } from 'node:http2'
import * as tus from 'tus-js-client'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { startGateway, type TestGateway } from '../support/gateway.js'
import { http2Client } from '../support/http2-client.js'
import { http1DraftClient, type DraftClient } from '../ietf/draft-client.js'
import { startApp, type TestApp } from './app.js'

// Upstream mode with the draft's clients (tus-js-client `ietf-draft-05`, node:http2, node:http cut off
// mid-body) and with tus clients: each upload reaches the application as one request, byte for byte, and
// the client that completes it gets the application's answer (tus: when it asks with Prefer).

const sha256 = (data: Uint8Array): string => createHash('sha256').update(data).digest('hex')

// tus-js-client 4.3.1 reads `protocol` at runtime, but its type definitions do not declare it.
declare module 'tus-js-client' {
  interface UploadOptions {
    protocol?: 'tus-v1' | 'ietf-draft-03' | 'ietf-draft-05'
  }
}

/** A tus-js-client upload run to its end; resolves with the last response's status and body. */
function tusUpload(data: Buffer, options: Partial<tus.UploadOptions>, interruptAfter?: number): Promise<{ status: number; body: string; url: string }> {
  return new Promise((resolve, reject) => {
    let interrupted = interruptAfter === undefined
    const running: tus.Upload = new tus.Upload(data, {
      retryDelays: [0, 100],
      ...options,
      onChunkComplete: (_chunk, sent) => {
        if (interrupted || sent < (interruptAfter ?? 0)) return
        interrupted = true
        // Pause, then resume from the offset the gateway reports (tus-js-client asks with HEAD first).
        void running.abort().then(() => setTimeout(() => running.start(), 50))
      },
      onError: reject,
      onSuccess: ({ lastResponse }) => resolve({ status: lastResponse.getStatus(), body: lastResponse.getBody() ?? '', url: running.url ?? '' }),
    })
    running.start()
  })
}

describe('upstream mode with draft and tus clients', () => {
  let app: TestApp
  let gateway: TestGateway
  let origin: string
  const data = randomBytes(3 * 1024 * 1024 + 11)

  beforeAll(async () => {
    app = await startApp()
    gateway = await startGateway({ upstream: app.url, upstreamRetryDelayMs: 20 })
    origin = `http://127.0.0.1:${gateway.port}`
  })
  afterAll(async () => {
    await gateway.close()
    await app.close()
  })
  afterEach(() => {
    app.received.splice(0)
  })

  it.each([['in one go', undefined], ['paused and resumed', 1024 * 1024]])(
    'tus-js-client ietf-draft-05 (%s): the application gets one request and the client its answer',
    async (_name, interruptAfter) => {
      const result = await tusUpload(
        data,
        { endpoint: `${origin}/api/photos?from=tus-js-client`, protocol: 'ietf-draft-05', chunkSize: 512 * 1024, metadata: { filename: 'a.bin' } },
        interruptAfter,
      )
      expect(result.url).toMatch(new RegExp(`^${origin}/files/[0-9a-f]{32}$`))
      expect(result.status).toBe(201)
      expect(JSON.parse(result.body)).toMatchObject({ bytes: data.length, sha256: sha256(data) })
      expect(app.received).toMatchObject([{ method: 'POST', url: '/api/photos?from=tus-js-client', bytes: data.length, sha256: sha256(data) }])
    },
  )

  it('node:http2 (h2c): a creation carrying everything gets the 104 and then the application answer', async () => {
    const client = http2Client(gateway.port)
    try {
      const response = await client.request({
        method: 'POST',
        url: `${origin}/api/photos`,
        headers: { 'upload-draft-interop-version': '10', 'upload-complete': '?1', 'content-type': 'video/mp4' },
        body: data,
      })
      expect(response.interim[0]).toMatchObject({ status: 104, headers: { location: expect.stringMatching(/\/files\/[0-9a-f]{32}$/) } })
      expect(response.status).toBe(201)
      expect(response.headers).toMatchObject({ location: '/api/photos/1', 'upload-complete': '?1' })
      expect(JSON.parse(response.text)).toMatchObject({ bytes: data.length, sha256: sha256(data), contentType: 'video/mp4' })
      expect(app.received[0]?.headers['x-forwarded-host']).toBe(`127.0.0.1:${gateway.port}`)
    } finally {
      await client.close()
    }
  })

  it('node:http2 (h2c): a request passed on whose body has no Content-Length reaches the application whole', async () => {
    const session = connect(origin)
    try {
      const stream = session.request({ ':method': 'POST', ':path': '/api/form', 'content-type': 'text/plain' })
      let text = ''
      stream.setEncoding('utf8').on('data', (chunk: string) => (text += chunk))
      const status = new Promise<number>((resolve) => stream.once('response', (headers) => resolve(Number(headers[':status']))))
      const ended = new Promise((resolve) => stream.once('end', resolve))
      // The body in two DATA frames, the second a moment later: HTTP/2 needs no Content-Length (RFC 9113 §8.1.1).
      stream.write('hello ')
      setTimeout(() => stream.end('world'), 50)
      expect(await status).toBe(201)
      await ended
      expect(JSON.parse(text)).toMatchObject({ bytes: 11, sha256: sha256(Buffer.from('hello world')) })
      expect(app.received).toMatchObject([{ method: 'POST', url: '/api/form', bytes: 11 }])
    } finally {
      session.close()
    }
  })

  it('node:http cut off mid-body: the offset is kept, the rest appended, and the completing PATCH gets the answer', async () => {
    const cut: DraftClient = http1DraftClient(gateway.port)
    let location = ''
    async function* halfThenStall(): AsyncGenerator<Uint8Array> {
      yield data.subarray(0, 1024 * 1024)
      // The connection is dropped while the client "sends" the rest.
      await new Promise((resolve) => setTimeout(resolve, 300))
      cut.destroy()
      await new Promise(() => {})
    }
    const dropped = cut.request({
      method: 'POST',
      url: `${origin}/api/photos`,
      headers: { 'upload-draft-interop-version': '7', 'upload-complete': '?1', 'content-type': 'image/png', 'transfer-encoding': 'chunked' },
      body: halfThenStall(),
      onInterim: (interim) => {
        if (interim.headers.location !== undefined) location = interim.headers.location
      },
    })
    await expect(dropped).rejects.toThrow()
    expect(location).toMatch(/\/files\/[0-9a-f]{32}$/)
    const client = http1DraftClient(gateway.port)
    try {
      const head = await client.request({ method: 'HEAD', url: location, headers: { 'upload-draft-interop-version': '7' } })
      expect(head.headers).toMatchObject({ 'upload-complete': '?0', 'upload-offset': String(1024 * 1024) })
      expect(app.received).toEqual([])
      const done = await client.request({
        method: 'PATCH',
        url: location,
        headers: {
          'upload-draft-interop-version': '7',
          'upload-complete': '?1',
          'upload-offset': String(1024 * 1024),
          'content-type': 'application/partial-upload',
        },
        body: data.subarray(1024 * 1024),
      })
      expect(done.status).toBe(201)
      expect(done.headers['upload-complete']).toBe('?1')
      expect(JSON.parse(done.text)).toMatchObject({ bytes: data.length, sha256: sha256(data), contentType: 'image/png' })
      expect(app.received).toHaveLength(1)
    } finally {
      await client.close()
    }
  })

  it('tus: a creation to an application path is delivered; the final PATCH gets the answer only with Prefer: return=representation', async () => {
    const client = http1DraftClient(gateway.port)
    const tusHeaders = { 'tus-resumable': '1.0.0' }
    const create = (): Promise<string> =>
      client
        .request({
          method: 'POST',
          url: `${origin}/api/photos?via=tus`,
          headers: {
            ...tusHeaders,
            'upload-length': String(data.length),
            'upload-metadata': `filename ${Buffer.from('holiday.jpg').toString('base64')},filetype ${Buffer.from('image/jpeg').toString('base64')}`,
          },
        })
        .then((response) => {
          expect(response.status).toBe(201)
          return response.headers.location ?? ''
        })
    const patch = (url: string, headers: Record<string, string> = {}) =>
      client.request({
        method: 'PATCH',
        url,
        headers: { ...tusHeaders, ...headers, 'upload-offset': '0', 'content-type': 'application/offset+octet-stream' },
        body: data,
      })
    try {
      const plain = await patch(await create())
      expect(plain.status).toBe(204)
      expect(plain.headers['upload-offset']).toBe(String(data.length))
      expect(app.received).toMatchObject([{ url: '/api/photos?via=tus', sha256: sha256(data) }])
      expect(app.received[0]?.headers).toMatchObject({ 'content-type': 'image/jpeg', 'content-disposition': expect.stringContaining('holiday.jpg') })
      expect(app.received[0]?.headers['upload-metadata']).toBeUndefined()
      const opted = await patch(await create(), { prefer: 'return=representation' })
      expect(opted.status).toBe(201)
      expect(opted.headers).toMatchObject({ 'upload-offset': String(data.length), 'preference-applied': 'return=representation', location: '/api/photos/2' })
      expect(JSON.parse(opted.text)).toMatchObject({ id: 2, sha256: sha256(data) })
    } finally {
      await client.close()
    }
  })

  it('tus-js-client (tus 1.0.0) pointed at an application path uploads there through the gateway', async () => {
    const result = await tusUpload(data, { endpoint: `${origin}/api/photos`, chunkSize: 1024 * 1024, headers: { Prefer: 'return=representation' } }, 1024 * 1024)
    expect(result.status).toBe(201)
    expect(JSON.parse(result.body)).toMatchObject({ bytes: data.length, sha256: sha256(data) })
    expect(app.received).toHaveLength(1)
  })
})
