import http from 'node:http'
import https from 'node:https'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { NodeExchange } from '../../src/transport/node-exchange.js'
import { startGateway, type TestGateway } from '../support/gateway.js'
import { connect } from './h2.js'
import { startListener, type TestListener } from './listener-harness.js'

// Nothing above transport/ knows the HTTP version: every version yields the same Exchange for the
// same request (method, raw path, headers without pseudo-headers, authority, scheme, body, trailers).

interface Seen {
  method: string
  path: string
  headers: Record<string, unknown>
  httpVersion: string
  scheme: string
  authority: string | undefined
  remoteAddress: string | undefined
  body: string
  trailers: Record<string, string>
}

let server: TestListener
beforeAll(async () => {
  server = await startListener(async (exchange: NodeExchange) => {
    const chunks: Uint8Array[] = []
    for await (const chunk of exchange.body) chunks.push(chunk)
    const seen: Seen = {
      method: exchange.method,
      path: exchange.path,
      headers: exchange.headers,
      httpVersion: exchange.httpVersion,
      scheme: exchange.scheme,
      authority: exchange.authority,
      remoteAddress: exchange.remoteAddress,
      body: Buffer.concat(chunks).toString('utf8'),
      trailers: exchange.trailers(),
    }
    await exchange.respond(200, { 'content-type': 'application/json' }, JSON.stringify(seen))
  })
})
afterAll(() => server.close())

const PATH = '/files/a%2Fb?query=1'

async function viaHttp1(tls: boolean): Promise<Seen> {
  const client = tls ? https : http
  return new Promise((resolve, reject) => {
    const request = client.request(
      { host: '127.0.0.1', port: server.port, method: 'PATCH', path: PATH, headers: { 'X-Custom': 'yes', Trailer: 'upload-checksum' }, ca: server.ca, servername: 'localhost', agent: false },
      (response) => {
        const chunks: Buffer[] = []
        response.on('data', (chunk: Buffer) => chunks.push(chunk)).on('end', () => resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')) as Seen))
      },
    )
    request.on('error', reject)
    request.write('hello ')
    request.addTrailers({ 'Upload-Checksum': 'sha1 Kq5sNclPz7QV2+lfQIuc6R7oRu0=' })
    request.end('world')
  })
}

async function viaHttp2(tls: boolean): Promise<Seen> {
  const session = connect(server.port, tls ? server.ca : undefined)
  try {
    return await new Promise((resolve, reject) => {
      const stream = session.request({ ':method': 'PATCH', ':path': PATH, 'x-custom': 'yes' }, { waitForTrailers: true })
      stream.on('wantTrailers', () => stream.sendTrailers({ 'upload-checksum': 'sha1 Kq5sNclPz7QV2+lfQIuc6R7oRu0=' }))
      const chunks: Buffer[] = []
      stream.on('data', (chunk: Buffer) => chunks.push(chunk)).on('end', () => resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')) as Seen))
      stream.on('error', reject)
      stream.write('hello ')
      stream.end('world')
    })
  } finally {
    session.close()
  }
}

describe.each([
  { name: 'HTTP/1.1', tls: false, send: viaHttp1, version: '1.1' },
  { name: 'TLS HTTP/1.1', tls: true, send: viaHttp1, version: '1.1' },
  { name: 'h2c', tls: false, send: viaHttp2, version: '2' },
  { name: 'TLS h2', tls: true, send: viaHttp2, version: '2' },
])('over $name', ({ tls, send, version }) => {
  it('gives the same exchange: raw path, plain header names, authority, scheme, body and trailers', async () => {
    const seen = await send(tls)
    expect(seen).toMatchObject({
      method: 'PATCH',
      path: '/files/a%2Fb',
      httpVersion: version,
      scheme: tls ? 'https' : 'http',
      remoteAddress: '127.0.0.1',
      body: 'hello world',
      trailers: { 'upload-checksum': 'sha1 Kq5sNclPz7QV2+lfQIuc6R7oRu0=' },
    })
    expect(seen.authority).toMatch(new RegExp(`^(127\\.0\\.0\\.1|localhost):${server.port}$`))
    expect(seen.headers['x-custom']).toBe('yes')
    expect(Object.keys(seen.headers).filter((name) => name.startsWith(':'))).toEqual([])
  })
})

describe('Location over HTTP/2', () => {
  let gateway: TestGateway
  beforeAll(async () => {
    gateway = await startGateway({ behindProxy: true })
  })
  afterAll(async () => {
    await gateway.close()
  })

  it('is built from :authority and the connection scheme, or from the proxy headers when behind a proxy', async () => {
    const session = connect(gateway.port, gateway.ca)
    try {
      const create = (headers: Record<string, string>): Promise<string> =>
        new Promise((resolve, reject) => {
          const stream = session.request({ ':method': 'POST', ':path': gateway.basePath, 'tus-resumable': '1.0.0', 'upload-length': '1', ...headers })
          stream.on('response', (h) => resolve(h.location as string)).on('error', reject)
          stream.resume()
        })
      expect(await create({})).toMatch(new RegExp(`^https://localhost:${gateway.port}${gateway.basePath}[0-9a-f]+$`))
      expect(await create({ 'x-forwarded-host': 'uploads.example', 'x-forwarded-proto': 'https' })).toMatch(
        new RegExp(`^https://uploads\\.example${gateway.basePath}[0-9a-f]+$`),
      )
    } finally {
      session.close()
    }
  })
})
