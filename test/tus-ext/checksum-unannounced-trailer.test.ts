import { createHash } from 'node:crypto'
import http from 'node:http'
import http2 from 'node:http2'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { TestClient } from '../support/client.js'
import { startGateway, type TestGateway } from '../support/gateway.js'
import { http1Client } from '../support/http1-client.js'
import { createUpload, OFFSET_OCTET_STREAM, pathOf, storedOffset, TUS } from '../support/tus.js'

// node's clients send trailers without announcing them: `req.addTrailers()` and `stream.sendTrailers()` add
// no `Trailer` header. Such a checksum arrives after bytes nobody hashed. Ignored, it let bytes the client
// asked to be checked be stored unchecked (a wrong checksum got 204); now the chunk is refused and discarded.

type Send = (gateway: TestGateway, path: string, offset: number, body: Buffer, trailers?: Record<string, string>) => Promise<number>

const headersFor = (offset: number): Record<string, string> => ({ ...TUS, 'content-type': OFFSET_OCTET_STREAM, 'upload-offset': String(offset) })

/** node:http with no Content-Length: a chunked body, then the trailers, none announced. Resolves with the status. */
const viaHttp1: Send = (gateway, path, offset, body, trailers) =>
  new Promise((resolve, reject) => {
    const request = http.request({ host: '127.0.0.1', port: gateway.port, method: 'PATCH', path, headers: headersFor(offset), agent: false }, (response) => {
      response.resume()
      response.on('end', () => resolve(response.statusCode ?? 0))
    })
    request.on('error', reject)
    request.write(body)
    if (trailers !== undefined) request.addTrailers(trailers)
    request.end()
  })

/** node:http2 (h2c): the body in DATA frames, then the trailers in a HEADERS frame, none announced. */
const viaHttp2: Send = (gateway, path, offset, body, trailers) =>
  new Promise((resolve, reject) => {
    const session = http2.connect(`http://127.0.0.1:${gateway.port}`)
    session.on('error', reject)
    const stream = session.request({ ':method': 'PATCH', ':path': path, ...headersFor(offset) }, { waitForTrailers: trailers !== undefined })
    stream.on('wantTrailers', () => stream.sendTrailers({ ...trailers }))
    let status = 0
    stream.on('response', (received) => (status = Number(received[':status'])))
    stream.resume()
    stream.on('end', () => session.close(() => resolve(status)))
    stream.on('error', reject)
    stream.end(body)
  })

const sha1 = (text: string): string => `sha1 ${createHash('sha1').update(text).digest('base64')}`

describe.each([
  ['HTTP/1.1 chunked (node:http)', viaHttp1],
  ['h2c (node:http2)', viaHttp2],
] as const)('an unannounced checksum trailer over %s', (_name, send) => {
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

  it('[T-43] [T-47] gets 400 and the chunk is discarded, whether the checksum matches or not', async () => {
    const path = pathOf(await createUpload(client, gateway.basePath, { length: 11 }))
    expect(await send(gateway, path, 0, Buffer.from('hello world'), { 'Upload-Checksum': sha1('hello worlX') })).toBe(400)
    expect(await storedOffset(client, path)).toBe(0)
    expect(await send(gateway, path, 0, Buffer.from('hello world'), { 'Upload-Checksum': sha1('hello world') })).toBe(400)
    expect(await storedOffset(client, path)).toBe(0)
  })

  it('[T-21] stores a body with other trailers or none, unchecked, as before', async () => {
    const path = pathOf(await createUpload(client, gateway.basePath, { length: 11 }))
    expect(await send(gateway, path, 0, Buffer.from('hello'), { 'X-Other': 'yes' })).toBe(204)
    expect(await send(gateway, path, 5, Buffer.from(' world'))).toBe(204)
    expect(await storedOffset(client, path)).toBe(11)
  })
})
