import { randomBytes } from 'node:crypto'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startGateway, type TestGateway } from '../support/gateway.js'
import { curlSender, http2WrapperSender, nodeHttp2Sender, undiciSender, type Sender } from './client-adapters.js'

// The same tus upload (creation, two PATCHes, HEAD, download) through every client the README names,
// each over the HTTP version and connection kind it is meant to use, all on the gateway's one port.

let gateway: TestGateway
let workDir: string
let caFile: string
beforeAll(async () => {
  gateway = await startGateway()
  workDir = await mkdtemp(join(tmpdir(), 'rg-clients-'))
  caFile = join(workDir, 'ca.pem')
  await writeFile(caFile, gateway.ca)
})
afterAll(async () => {
  await gateway.close()
  await rm(workDir, { recursive: true, force: true })
})

const TUS = { 'tus-resumable': '1.0.0' }
const PATCH_HEADERS = { ...TUS, 'content-type': 'application/offset+octet-stream' }

interface ClientCase {
  readonly name: string
  readonly httpVersion: '1.1' | '2'
  readonly tls: boolean
  readonly make: (origin: string) => Sender
}

const cases: readonly ClientCase[] = [
  { name: 'curl --http1.1', httpVersion: '1.1', tls: false, make: () => curlSender('--http1.1', workDir) },
  { name: 'curl --http2-prior-knowledge (h2c)', httpVersion: '2', tls: false, make: () => curlSender('--http2-prior-knowledge', workDir) },
  { name: 'curl --http2 over TLS', httpVersion: '2', tls: true, make: () => curlSender('--http2', workDir, caFile) },
  { name: 'curl --http1.1 over TLS', httpVersion: '1.1', tls: true, make: () => curlSender('--http1.1', workDir, caFile) },
  { name: 'node:http2 (h2c)', httpVersion: '2', tls: false, make: (origin) => nodeHttp2Sender(origin) },
  { name: 'node:http2 over TLS', httpVersion: '2', tls: true, make: (origin) => nodeHttp2Sender(origin, gateway.ca) },
  { name: 'http2-wrapper (h2c session)', httpVersion: '2', tls: false, make: (origin) => http2WrapperSender(origin) },
  { name: 'http2-wrapper over TLS', httpVersion: '2', tls: true, make: (origin) => http2WrapperSender(origin, gateway.ca) },
  { name: 'undici (HTTP/1.1)', httpVersion: '1.1', tls: false, make: (origin) => undiciSender(origin) },
  { name: 'undici with allowH2 over TLS', httpVersion: '2', tls: true, make: (origin) => undiciSender(origin, gateway.ca) },
]

describe.each(cases)('$name', ({ httpVersion, tls, make }) => {
  it('creates, appends in two requests, reports the offset and downloads byte-identical data', async () => {
    // The certificate names 127.0.0.1 and localhost; curl checks the name in the URL against it.
    const origin = `${tls ? 'https' : 'http'}://${tls ? 'localhost' : '127.0.0.1'}:${gateway.port}`
    const sender = make(origin)
    try {
      const content = randomBytes(3 * 1024 * 1024 + 17)
      const half = 1024 * 1024 + 5
      const created = await sender.send('POST', `${origin}${gateway.basePath}`, { ...TUS, 'upload-length': String(content.length) })
      expect(created.status).toBe(201)
      expect(created.httpVersion).toBe(httpVersion)
      // Location comes from :authority (HTTP/2) or Host (HTTP/1.1), and the connection's scheme.
      const location = created.headers.location as string
      expect(location.startsWith(`${origin}${gateway.basePath}`)).toBe(true)

      const first = await sender.send('PATCH', location, { ...PATCH_HEADERS, 'upload-offset': '0' }, content.subarray(0, half))
      expect(first.status).toBe(204)
      expect(first.headers['upload-offset']).toBe(String(half))
      const second = await sender.send('PATCH', location, { ...PATCH_HEADERS, 'upload-offset': String(half) }, content.subarray(half))
      expect(second.status).toBe(204)
      expect(second.headers['upload-offset']).toBe(String(content.length))

      const status = await sender.send('HEAD', location, TUS)
      expect(status.status).toBe(200)
      expect(status.headers['upload-offset']).toBe(String(content.length))

      const downloaded = await sender.send('GET', location, {})
      expect(downloaded.status).toBe(200)
      expect(downloaded.body.equals(content)).toBe(true)
    } finally {
      await sender.close()
    }
  })
})
