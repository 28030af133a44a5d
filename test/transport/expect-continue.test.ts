import { execFile } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import http from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startGateway, type TestGateway } from '../support/gateway.js'
import { connect, request } from './h2.js'
import { startListener } from './listener-harness.js'
import { RawConnection } from './raw-connection.js'

// RFC 9110 §10.1.1: a client sending `Expect: 100-continue` waits for 100 (Continue) before its
// body. The gateway sends it only when it is about to read the body: a request it refuses first
// (413, 409) is answered at once, without a 100, and its body is never sent.

let gateway: TestGateway
let workDir: string
beforeAll(async () => {
  gateway = await startGateway()
  workDir = await mkdtemp(join(tmpdir(), 'rg-expect-'))
})
afterAll(async () => {
  await gateway.close()
  await rm(workDir, { recursive: true, force: true })
})

const TUS = { 'tus-resumable': '1.0.0' }

async function create(length: number): Promise<string> {
  const session = connect(gateway.port)
  try {
    const created = await request(session, { ':method': 'POST', ':path': gateway.basePath, ...TUS, 'upload-length': String(length) })
    return new URL(created.headers.location as string).pathname
  } finally {
    session.close()
  }
}

function patchHead(path: string, offset: number, contentLength: number): string {
  return (
    `PATCH ${path} HTTP/1.1\r\nHost: 127.0.0.1:${gateway.port}\r\nTus-Resumable: 1.0.0\r\n` +
    `Content-Type: application/offset+octet-stream\r\nUpload-Offset: ${offset}\r\n` +
    `Content-Length: ${contentLength}\r\nExpect: 100-continue\r\n\r\n`
  )
}

describe('HTTP/1.1', () => {
  it('sends 100 Continue when the body is wanted, then takes the body', async () => {
    const path = await create(5)
    const connection = await RawConnection.open(gateway.port)
    try {
      connection.write(patchHead(path, 0, 5))
      await connection.text((t) => t.startsWith('HTTP/1.1 100 Continue\r\n\r\n'))
      connection.write('hello')
      const text = await connection.text((t) => /\r\n\r\nHTTP\/1\.1 \d{3}[^]*\r\n\r\n/.test(t))
      expect(text).toMatch(/\r\n\r\nHTTP\/1\.1 204 /)
    } finally {
      connection.close()
    }
  })

  it('[T-38] answers 413 without a 100 when the announced body cannot fit, and closes the connection', async () => {
    const path = await create(5)
    const connection = await RawConnection.open(gateway.port)
    connection.write(patchHead(path, 0, 1_000_000))
    const text = await connection.text((t) => t.includes('\r\n\r\n'))
    expect(text).toMatch(/^HTTP\/1\.1 413 /)
    expect(text).toMatch(/^connection: close\r$/im)
    await connection.closed
    expect(connection.received.toString('latin1')).not.toContain('100 Continue')
  })

  it('answers 409 without a 100 when the offset is wrong', async () => {
    const path = await create(5)
    const connection = await RawConnection.open(gateway.port)
    try {
      connection.write(patchHead(path, 3, 2))
      const text = await connection.text((t) => t.includes('\r\n\r\n'))
      expect(text).toMatch(/^HTTP\/1\.1 409 /)
    } finally {
      connection.close()
    }
  })

  it('gives a client that sends its body without waiting the early 413, not a reset', async () => {
    const path = await create(5)
    const body = Buffer.alloc(16 * 1024 * 1024)
    const status = await new Promise<number | string>((resolve) => {
      const request = http.request(
        {
          host: '127.0.0.1', port: gateway.port, path, method: 'PATCH',
          headers: { ...TUS, 'upload-offset': '0', 'content-type': 'application/offset+octet-stream', 'content-length': body.length },
        },
        (response) => {
          response.resume()
          resolve(response.statusCode ?? 0)
        },
      )
      request.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message))
      request.end(body)
    })
    expect(status).toBe(413)
  })

  it('lets curl skip sending a body the gateway refuses', async () => {
    const path = await create(5)
    const file = join(workDir, 'big')
    await writeFile(file, Buffer.alloc(2 * 1024 * 1024))
    const { stdout } = await promisify(execFile)('/usr/bin/curl', [
      '-sS', '--http1.1', '-X', 'PATCH', '-T', file, '-o', '/dev/null', '-w', '%{http_code} %{size_upload}',
      // curl waits up to a second for the 100; the refusal comes long before.
      '-H', 'Expect: 100-continue', '-H', 'Tus-Resumable: 1.0.0', '-H', 'Upload-Offset: 0',
      '-H', 'Content-Type: application/offset+octet-stream', `http://127.0.0.1:${gateway.port}${path}`,
    ])
    expect(stdout).toBe('413 0')
  })
})

describe('HTTP/2', () => {
  it('sends 100 Continue when the body is wanted, then takes the body', async () => {
    const path = await create(5)
    const session = connect(gateway.port)
    try {
      const stream = session.request({
        ':method': 'PATCH', ':path': path, ...TUS, 'content-type': 'application/offset+octet-stream',
        'upload-offset': '0', 'content-length': '5', expect: '100-continue',
      })
      const statuses: number[] = []
      stream.on('continue', () => {
        statuses.push(100)
        stream.end('hello')
      })
      const final = await new Promise<number>((resolve) => stream.on('response', (h) => resolve(Number(h[':status']))))
      stream.resume()
      expect([...statuses, final]).toEqual([100, 204])
    } finally {
      session.close()
    }
  })

  it('[T-38] answers 413 without a 100 when the announced body cannot fit', async () => {
    const path = await create(5)
    const session = connect(gateway.port)
    try {
      const stream = session.request({
        ':method': 'PATCH', ':path': path, ...TUS, 'content-type': 'application/offset+octet-stream',
        'upload-offset': '0', 'content-length': '1000000', expect: '100-continue',
      })
      let continued = false
      stream.on('continue', () => (continued = true))
      const final = await new Promise<number>((resolve) => stream.on('response', (h) => resolve(Number(h[':status']))))
      stream.resume()
      await new Promise((resolve) => stream.on('close', resolve).destroy())
      expect({ final, continued }).toEqual({ final: 413, continued: false })
      // The refused stream ended alone: the session serves the next request.
      const options = await request(session, { ':method': 'OPTIONS', ':path': gateway.basePath })
      expect(options.status).toBe(200)
    } finally {
      session.close()
    }
  })
})

describe.each([
  { name: 'HTTP/1.1 (node:http)', version: '1.1' },
  { name: 'h2c (node:http2)', version: '2' },
])('a creation with upload over $name', ({ version }) => {
  it('[T-38] is refused up front (413) without a 100 when its body exceeds Upload-Length', async () => {
    const headers = {
      ...TUS, 'upload-length': '5', 'content-type': 'application/offset+octet-stream', 'content-length': '1000000', expect: '100-continue',
    }
    if (version === '1.1') {
      const connection = await RawConnection.open(gateway.port)
      connection.write(
        `POST ${gateway.basePath} HTTP/1.1\r\nHost: 127.0.0.1\r\n` +
          Object.entries(headers).map(([name, value]) => `${name}: ${value}\r\n`).join('') + '\r\n',
      )
      expect(await connection.text((t) => t.includes('\r\n\r\n'))).toMatch(/^HTTP\/1\.1 413 /)
      connection.close()
      return
    }
    const session = connect(gateway.port)
    try {
      const stream = session.request({ ':method': 'POST', ':path': gateway.basePath, ...headers })
      let continued = false
      stream.on('continue', () => (continued = true))
      const final = await new Promise<number>((resolve) => stream.on('response', (h) => resolve(Number(h[':status']))))
      stream.destroy()
      expect({ final, continued }).toEqual({ final: 413, continued: false })
    } finally {
      session.close()
    }
  })
})

describe('the Exchange', () => {
  it('sends 100 Continue at the first read of the body, not when a handler merely takes hold of it', async () => {
    // A handler that holds on to the body, then refuses the request without reading it.
    const server = await startListener(async (exchange) => {
      const body = exchange.body
      await exchange.respond(exchange.path === '/read' ? 200 : 413, {}, exchange.path === '/read' ? await text(body) : undefined)
    })
    try {
      const refused = await RawConnection.open(server.port)
      refused.write('PUT /refuse HTTP/1.1\r\nHost: localhost\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n')
      expect(await refused.text((t) => t.includes('\r\n\r\n'))).toMatch(/^HTTP\/1\.1 413 /)
      refused.close()
      const read = await RawConnection.open(server.port)
      read.write('PUT /read HTTP/1.1\r\nHost: localhost\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n')
      await read.text((t) => t.startsWith('HTTP/1.1 100 Continue\r\n\r\n'))
      read.write('hello')
      expect(await read.text((t) => t.endsWith('hello'))).toMatch(/HTTP\/1\.1 200 /)
      read.close()
    } finally {
      server.close()
    }
  })
})

async function text(body: AsyncIterable<Uint8Array>): Promise<string> {
  const chunks: Uint8Array[] = []
  for await (const chunk of body) chunks.push(chunk)
  return Buffer.concat(chunks).toString('utf8')
}
