import http from 'node:http'
import http2 from 'node:http2'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startGateway, type TestGateway } from '../support/gateway.js'
import { createUpload, head, OFFSET_OCTET_STREAM, pathOf, storedOffset, TUS } from '../support/tus.js'
import { http1Client } from '../support/http1-client.js'

interface ContinueResult {
  readonly status: number
  readonly headers: Record<string, string | string[] | undefined>
  /** Whether the server sent 100 Continue (and so the body was sent). */
  readonly continued: boolean
}

// undici does not do Expect: 100-continue, so this file talks to the gateway with node's own clients.
type ContinueClient = (gateway: TestGateway, request: { method: string; path: string; headers: Record<string, string>; body: string }) => Promise<ContinueResult>

/** HTTP/1.1: the body goes out only after 100 Continue. */
const overHttp1: ContinueClient = (gateway, { method, path, headers, body }) =>
  new Promise((resolve, reject) => {
    let continued = false
    const request = http.request({ host: '127.0.0.1', port: gateway.port, method, path, headers: { ...headers, expect: '100-continue' } })
    request.on('continue', () => {
      continued = true
      request.end(body)
    })
    request.on('response', (response) => {
      response.resume()
      response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, continued }))
      if (!continued) request.destroy()
    })
    request.on('error', (error) => {
      if (!continued) return
      reject(error)
    })
    request.flushHeaders()
  })

/** HTTP/2 (h2c or TLS): the stream's body goes out only after 100 Continue. */
const overHttp2 =
  (tls: boolean): ContinueClient =>
  (gateway, { method, path, headers, body }) =>
    new Promise((resolve, reject) => {
      const origin = `${tls ? 'https' : 'http'}://127.0.0.1:${gateway.port}`
      const session = tls ? http2.connect(origin, { ca: gateway.ca }) : http2.connect(origin)
      session.on('error', reject)
      let continued = false
      const stream = session.request({ ':method': method, ':path': path, ...headers, expect: '100-continue' }, { endStream: false })
      stream.on('continue', () => {
        continued = true
        stream.end(body)
      })
      stream.on('response', (responseHeaders) => {
        stream.resume()
        stream.on('close', () => {
          session.close()
          resolve({ status: Number(responseHeaders[':status']), headers: responseHeaders, continued })
        })
      })
      stream.on('error', () => {})
    })

const clients: [string, ContinueClient][] = [
  ['HTTP/1.1', overHttp1],
  ['h2c', overHttp2(false)],
  ['TLS h2', overHttp2(true)],
]

describe.each(clients)('over %s', (_name, send) => {
  let gateway: TestGateway
  beforeAll(async () => {
    gateway = await startGateway({ maxSize: 1000 })
  })
  afterAll(() => gateway?.close())

  it('[T-38] a creation with upload and Expect: 100-continue gets 100, then 201 with the offset of the data', async () => {
    const headers = { ...TUS, 'upload-length': '11', 'content-type': OFFSET_OCTET_STREAM, 'content-length': '5' }
    const result = await send(gateway, { method: 'POST', path: gateway.basePath, headers, body: 'hello' })
    expect(result.continued).toBe(true)
    expect(result.status).toBe(201)
    expect(result.headers['upload-offset']).toBe('5')
    const client = http1Client(gateway.port)
    try {
      const state = await head(client, pathOf(String(result.headers.location)))
      expect(state.headers['upload-offset']).toBe('5')
    } finally {
      await client.close()
    }
  })

  it('[T-38] [T-34] a creation refused up front is answered without 100 Continue, so the body is never sent', async () => {
    const headers = { ...TUS, 'upload-length': '5000', 'content-type': OFFSET_OCTET_STREAM, 'content-length': '5000' }
    const result = await send(gateway, { method: 'POST', path: gateway.basePath, headers, body: 'x'.repeat(5000) })
    expect(result.status).toBe(413)
    expect(result.continued).toBe(false)
  })

  it('a PATCH at the wrong offset is answered 409 without 100 Continue, so the body is never sent', async () => {
    const client = http1Client(gateway.port)
    try {
      const url = await createUpload(client, gateway.basePath, { length: 10 })
      const headers = { ...TUS, 'upload-offset': '4', 'content-type': OFFSET_OCTET_STREAM, 'content-length': '6' }
      const result = await send(gateway, { method: 'PATCH', path: pathOf(url), headers, body: 'abcdef' })
      expect(result.status).toBe(409)
      expect(result.continued).toBe(false)
      expect(await storedOffset(client, url)).toBe(0)
    } finally {
      await client.close()
    }
  })
})
