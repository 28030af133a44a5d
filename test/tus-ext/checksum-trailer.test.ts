import { createHash, randomBytes } from 'node:crypto'
import http from 'node:http'
import http2 from 'node:http2'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { TestClient } from '../support/client.js'
import { startGateway, type TestGateway } from '../support/gateway.js'
import { http1Client } from '../support/http1-client.js'
import { createUpload, download, OFFSET_OCTET_STREAM, pathOf, storedOffset, TUS } from '../support/tus.js'

// Extension checksum-trailer (T-47): the checksum comes after the body, as an HTTP trailer: in a chunked
// HTTP/1.1 body (node:http) and as trailing HEADERS on HTTP/2 (node:http2), both real clients.

interface TrailerRequest {
  readonly method: 'PATCH' | 'POST'
  readonly path: string
  readonly headers: Readonly<Record<string, string>>
  readonly chunks: readonly Uint8Array[]
  /** Trailer fields to send after the body; undefined sends none (although announced). */
  readonly trailers?: Readonly<Record<string, string>>
}

interface Answer {
  readonly status: number
  readonly headers: Readonly<Record<string, string | string[] | undefined>>
  readonly text: string
}

type Sender = (gateway: TestGateway, request: TrailerRequest) => Promise<Answer>

/** HTTP/1.1 through node:http: no Content-Length, so the body is chunked and may end with trailers. */
const viaHttp1: Sender = (gateway, request) =>
  new Promise((resolve, reject) => {
    const sent = http.request(
      { host: '127.0.0.1', port: gateway.port, method: request.method, path: request.path, headers: { ...request.headers }, agent: false },
      (response) => {
        let text = ''
        response.setEncoding('utf8')
        response.on('data', (chunk: string) => (text += chunk))
        response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, text }))
      },
    )
    sent.on('error', reject)
    for (const chunk of request.chunks) sent.write(chunk)
    if (request.trailers !== undefined) sent.addTrailers({ ...request.trailers })
    sent.end()
  })

/** HTTP/2 through node:http2 (h2c, or TLS h2 when `tls`): trailers go in a HEADERS frame after the DATA. */
function viaHttp2(tls: boolean): Sender {
  return (gateway, request) =>
    new Promise((resolve, reject) => {
      const origin = `${tls ? 'https' : 'http'}://127.0.0.1:${gateway.port}`
      const session = tls ? http2.connect(origin, { ca: gateway.ca, ALPNProtocols: ['h2'] }) : http2.connect(origin)
      session.on('error', reject)
      const stream = session.request(
        { ':method': request.method, ':path': request.path, ...request.headers },
        { waitForTrailers: request.trailers !== undefined },
      )
      stream.on('wantTrailers', () => stream.sendTrailers({ ...request.trailers }))
      let status = 0
      let headers: Answer['headers'] = {}
      let text = ''
      stream.on('response', (received) => {
        status = Number(received[':status'])
        headers = received
      })
      stream.setEncoding('utf8')
      stream.on('data', (chunk: string) => (text += chunk))
      stream.on('end', () => session.close(() => resolve({ status, headers, text })))
      stream.on('error', reject)
      for (const chunk of request.chunks) stream.write(chunk)
      stream.end()
    })
}

const senders: [string, Sender][] = [
  ['HTTP/1.1 chunked (node:http)', viaHttp1],
  ['h2c (node:http2)', viaHttp2(false)],
  ['TLS h2 (node:http2)', viaHttp2(true)],
]

const PATCH = { ...TUS, 'content-type': OFFSET_OCTET_STREAM, trailer: 'Upload-Checksum' }
const checksum = (algorithm: string, ...chunks: Uint8Array[]): string => {
  const hash = createHash(algorithm)
  for (const chunk of chunks) hash.update(chunk)
  return `${algorithm} ${hash.digest('base64')}`
}
const bytes = (text: string): Buffer => Buffer.from(text)

describe.each(senders)('checksum trailer over %s', (_name, send) => {
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

  async function upload(length: number, data?: string): Promise<string> {
    return pathOf(await createUpload(client, gateway.basePath, { length, data }))
  }

  it('[T-47] a PATCH whose trailer checksum matches gets 204 and moves the offset', async () => {
    const path = await upload(11)
    const chunks = [bytes('hello '), bytes('world')]
    const answer = await send(gateway, { method: 'PATCH', path, headers: { ...PATCH, 'upload-offset': '0' }, chunks, trailers: { 'Upload-Checksum': checksum('sha1', ...chunks) } })
    expect(answer.status, answer.text).toBe(204)
    expect(answer.headers['upload-offset']).toBe('11')
    expect(await storedOffset(client, path)).toBe(11)
  })

  it('[T-43] [T-47] a PATCH whose trailer checksum does not match gets 460 and the chunk is discarded', async () => {
    const path = await upload(11, 'hello')
    const answer = await send(gateway, {
      method: 'PATCH',
      path,
      headers: { ...PATCH, 'upload-offset': '5' },
      chunks: [bytes(' worlx')],
      trailers: { 'Upload-Checksum': checksum('md5', bytes(' world')) },
    })
    expect(answer.status, answer.text).toBe(460)
    expect(await storedOffset(client, path)).toBe(5)
  })

  it('[T-47] a checksum announced as a trailer that never comes gets 400 and the chunk is discarded', async () => {
    const path = await upload(11)
    const answer = await send(gateway, { method: 'PATCH', path, headers: { ...PATCH, 'upload-offset': '0' }, chunks: [bytes('hello world')] })
    expect(answer.status).toBe(400)
    expect(answer.text).toContain('Upload-Checksum')
    expect(await storedOffset(client, path)).toBe(0)
  })

  it('[T-43] [T-47] a trailer naming an algorithm the server does not support gets 400 and the chunk is discarded', async () => {
    const path = await upload(11)
    const answer = await send(gateway, {
      method: 'PATCH',
      path,
      headers: { ...PATCH, 'upload-offset': '0' },
      chunks: [bytes('hello world')],
      trailers: { 'Upload-Checksum': 'sha3 Kq5sNclPz7QV2+lfQIuc6R7oRu0=' },
    })
    expect(answer.status).toBe(400)
    expect(answer.text).toContain('not supported')
    expect(await storedOffset(client, path)).toBe(0)
  })

  it('[T-47] checks 4 MiB streamed in 64 KiB chunks against a sha512 trailer, stored byte for byte', async () => {
    const data = randomBytes(4 * 1024 * 1024)
    const path = await upload(data.length)
    const chunks = Array.from({ length: data.length / 65536 }, (_, i) => data.subarray(i * 65536, (i + 1) * 65536))
    const answer = await send(gateway, { method: 'PATCH', path, headers: { ...PATCH, 'upload-offset': '0' }, chunks, trailers: { 'Upload-Checksum': checksum('sha512', data) } })
    expect(answer.status, answer.text).toBe(204)
    const fetched = await download(client, path)
    expect(createHash('sha256').update(fetched.body).digest('hex')).toBe(createHash('sha256').update(data).digest('hex'))
  })

  it('[T-47] a creation with upload may carry its checksum as a trailer', async () => {
    const chunks = [bytes('hello world')]
    const answer = await send(gateway, {
      method: 'POST',
      path: gateway.basePath,
      headers: { ...PATCH, 'upload-length': '11' },
      chunks,
      trailers: { 'Upload-Checksum': checksum('sha256', ...chunks) },
    })
    expect(answer.status, answer.text).toBe(201)
    expect(answer.headers['upload-offset']).toBe('11')
  })
})
