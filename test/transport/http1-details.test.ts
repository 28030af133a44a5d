import { connect } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startGateway, type TestGateway } from '../support/gateway.js'
import { answer, connect as connectH2 } from './h2.js'
import { RawConnection } from './raw-connection.js'

// A raw HTTP/1.1 exchange, so the status line is seen exactly as sent.
function rawExchange(port: number, request: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.end(request))
    let text = ''
    socket.setEncoding('latin1')
    socket.on('data', (chunk: string) => (text += chunk))
    socket.on('end', () => resolve(text))
    socket.on('error', reject)
  })
}

describe('HTTP/1.1 reason phrases', () => {
  let gateway: TestGateway
  beforeAll(async () => {
    gateway = await startGateway()
  })
  afterAll(async () => {
    await gateway.close()
  })

  it('[T-43] a checksum mismatch reads "460 Checksum Mismatch" on the status line, not "460 unknown"', async () => {
    const { port } = gateway
    const created = await rawExchange(
      port,
      `POST /files/ HTTP/1.1\r\nHost: 127.0.0.1\r\nTus-Resumable: 1.0.0\r\nUpload-Length: 5\r\nConnection: close\r\n\r\n`,
    )
    const path = /location: https?:\/\/[^/\r\n]+(\/[^\r\n]+)/i.exec(created)?.[1]
    expect(path).toMatch(/^\/files\/[0-9a-f]{32}$/)
    const answer = await rawExchange(
      port,
      `PATCH ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nTus-Resumable: 1.0.0\r\nUpload-Offset: 0\r\n` +
        `Content-Type: application/offset+octet-stream\r\nUpload-Checksum: sha1 AAAAAAAAAAAAAAAAAAAAAAAAAAA=\r\n` +
        `Content-Length: 5\r\nConnection: close\r\n\r\nhello`,
    )
    expect(answer.split('\r\n')[0]).toBe('HTTP/1.1 460 Checksum Mismatch')
  })
})

describe('HTTP/1.1 half-close', () => {
  let gateway: TestGateway
  beforeAll(async () => {
    gateway = await startGateway()
  })
  afterAll(async () => {
    await gateway.close()
  })

  it('answers a client that half-closes (FIN) right after sending its request', async () => {
    const answer = await rawExchange(
      gateway.port,
      `POST /files/ HTTP/1.1\r\nHost: 127.0.0.1\r\nTus-Resumable: 1.0.0\r\nUpload-Length: 5\r\n\r\n`,
    )
    expect(answer.split('\r\n')[0]).toBe('HTTP/1.1 201 Created')
  })
})

describe('HTTP/1.1 request framing', () => {
  let gateway: TestGateway
  beforeAll(async () => {
    gateway = await startGateway({ corsAllowHeaders: ['X-CSRF-Token'] })
  })
  afterAll(async () => {
    await gateway.close()
  })

  it('accepts a request target in absolute form (RFC 9112 §3.2.2)', async () => {
    const answer = await rawExchange(
      gateway.port,
      `OPTIONS http://127.0.0.1:${gateway.port}/files/ HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`,
    )
    expect(answer.split('\r\n')[0]).toBe('HTTP/1.1 200 OK')
    expect(answer.toLowerCase()).toContain('tus-version: 1.0.0')
  })

  it('builds Location from the authority of a request target in absolute form, not from Host (RFC 9112 §3.2.2)', async () => {
    const answer = await rawExchange(
      gateway.port,
      `POST http://uploads.example:8080/files/ HTTP/1.1\r\nHost: 127.0.0.1\r\nTus-Resumable: 1.0.0\r\nUpload-Length: 5\r\nConnection: close\r\n\r\n`,
    )
    expect(answer.split('\r\n')[0]).toBe('HTTP/1.1 201 Created')
    expect(answer).toMatch(/\r\nlocation: http:\/\/uploads\.example:8080\/files\/[0-9a-f]{32}\r\n/i)
  })

  it('refuses a request with two Host headers with 400 (RFC 9112 §3.2)', async () => {
    const answer = await rawExchange(
      gateway.port,
      `POST /files/ HTTP/1.1\r\nHost: 127.0.0.1\r\nHost: evil.example\r\nTus-Resumable: 1.0.0\r\nUpload-Length: 5\r\n\r\n`,
    )
    expect(answer.split('\r\n')[0]).toBe('HTTP/1.1 400 Bad Request')
    expect(answer).toContain('more than one Host header')
  })

  it('refuses a transfer coding other than chunked with 501 rather than storing coded bytes', async () => {
    const answer = await rawExchange(
      gateway.port,
      `POST /files/ HTTP/1.1\r\nHost: 127.0.0.1\r\nTus-Resumable: 1.0.0\r\nUpload-Length: 5\r\n` +
        `Content-Type: application/offset+octet-stream\r\nTransfer-Encoding: gzip, chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n`,
    )
    expect(answer.split('\r\n')[0]).toBe('HTTP/1.1 501 Not Implemented')
    expect(answer).toContain('Transfer-Encoding "gzip, chunked" is not supported')
  })

  it('lets browsers send the extra headers of --cors-allow-headers', async () => {
    const answer = await rawExchange(
      gateway.port,
      `OPTIONS /files/ HTTP/1.1\r\nHost: 127.0.0.1\r\nOrigin: https://app.example\r\n` +
        `Access-Control-Request-Method: POST\r\nAccess-Control-Request-Headers: x-csrf-token\r\n\r\n`,
    )
    const allowHeaders = /access-control-allow-headers: ([^\r\n]*)/i.exec(answer)?.[1] ?? ''
    expect(allowHeaders).toContain('X-CSRF-Token')
    expect(allowHeaders).toContain('Tus-Resumable')
  })
})

describe('HTTP/1.0 clients', () => {
  let gateway: TestGateway
  beforeAll(async () => {
    gateway = await startGateway({ experimentalProtocol: true })
  })
  afterAll(async () => {
    await gateway.close()
  })

  it('never get a 1xx (RFC 9110 §15.2), not even the draft 104', async () => {
    const answer = await rawExchange(
      gateway.port,
      `POST /files/ HTTP/1.0\r\nHost: 127.0.0.1\r\nUpload-Draft-Interop-Version: 6\r\nUpload-Complete: ?1\r\n` +
        `Content-Length: 5\r\n\r\nhello`,
    )
    expect(answer).not.toMatch(/^HTTP\/1\.1 1\d\d/m)
    expect(answer.split('\r\n')[0]).toMatch(/^HTTP\/1\.1 2\d\d /)
  })
})

describe('CONNECT', () => {
  let gateway: TestGateway
  beforeAll(async () => {
    gateway = await startGateway()
  })
  afterAll(async () => {
    await gateway.close()
  })

  it.each([
    { name: 'cleartext', tls: false },
    { name: 'TLS', tls: true },
  ])('answers CONNECT over $name with 405, Allow and a reason, then closes the connection', async ({ tls }) => {
    const connection = tls ? await RawConnection.openTls(gateway.port, gateway.ca, ['http/1.1']) : await RawConnection.open(gateway.port)
    try {
      // The client keeps its side open, as a proxy client waiting for its tunnel does.
      connection.write('CONNECT 127.0.0.1:22 HTTP/1.1\r\nHost: 127.0.0.1:22\r\n\r\n')
      await connection.closed
      const answer = connection.received.toString('latin1')
      expect(answer.split('\r\n')[0]).toBe('HTTP/1.1 405 Method Not Allowed')
      expect(answer.toLowerCase()).toContain('connection: close')
      expect(answer.toLowerCase()).toContain('allow: get, head, post, patch, delete, options')
      expect(answer).toContain('CONNECT is not supported')
    } finally {
      connection.close()
    }
  })

  it.each([
    { name: 'h2c', tls: false },
    { name: 'TLS h2', tls: true },
  ])('answers CONNECT over $name with 405 and a reason, and ends the stream', async ({ tls }) => {
    const session = connectH2(gateway.port, tls ? gateway.ca : undefined)
    try {
      // The client never ends its side: a tunnel stays open until one side closes it.
      const answered = answer(session.request({ ':method': 'CONNECT', ':authority': '127.0.0.1:22' }, { endStream: false }))
      const { status, body } = await answered
      expect(status).toBe(405)
      expect(body.toString()).toContain('CONNECT is not supported')
    } finally {
      session.destroy()
    }
  })
})
