import { randomBytes } from 'node:crypto'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { startGateway, type TestGateway } from '../support/gateway.js'
import { idOf, waitForStoredBytes } from '../resilience/tus-http.js'
import { answer, connect, request, writeChunks } from './h2.js'
import { RawConnection } from './raw-connection.js'

// --network-timeout: a client that sends nothing for that long is taken as gone. A stalled body is
// stopped with its bytes kept (tus: 500, as tusd, so the client resumes), over every HTTP version;
// on HTTP/2 only that stream ends. A stalled request head is disconnected.

const TUS = { 'tus-resumable': '1.0.0' }
const PATCH = { ':method': 'PATCH', ...TUS, 'content-type': 'application/offset+octet-stream' }
const TIMEOUT_MS = 300

let gateway: TestGateway
beforeEach(async () => {
  gateway = await startGateway({ networkTimeoutMs: TIMEOUT_MS })
})
afterEach(async () => {
  await gateway.close()
})

describe.each([
  { name: 'h2c', tls: false },
  { name: 'TLS h2', tls: true },
])('a stalled body over $name', ({ tls }) => {
  it('[T-20] is stopped after the network timeout, its bytes kept, and the session carries on', async () => {
    const session = connect(gateway.port, tls ? gateway.ca : undefined)
    try {
      const content = randomBytes(256 * 1024)
      const sent = 100 * 1024
      const created = await request(session, { ':method': 'POST', ':path': gateway.basePath, ...TUS, 'upload-length': String(content.length) })
      const location = created.headers.location as string
      const path = new URL(location).pathname
      const stream = session.request({ ...PATCH, ':path': path, 'upload-offset': '0' })
      const answered = answer(stream)
      await writeChunks(stream, content.subarray(0, sent), 16 * 1024, false)
      // Nothing more is sent: the gateway gives up on the body after TIMEOUT_MS.
      const timedOut = await answered
      expect(timedOut.status).toBe(500)
      await waitForStoredBytes(gateway.uploadDir, idOf(location), sent)
      const status = await request(session, { ':method': 'HEAD', ':path': path, ...TUS })
      expect(status.headers['upload-offset']).toBe(String(sent))
      const resumed = await request(session, { ...PATCH, ':path': path, 'upload-offset': String(sent) }, content.subarray(sent))
      expect(resumed.status).toBe(204)
    } finally {
      session.destroy()
    }
  })
})

describe('HTTP/1.1', () => {
  it('[T-20] stops a stalled body after the network timeout and keeps its bytes', async () => {
    const session = connect(gateway.port)
    const created = await request(session, { ':method': 'POST', ':path': gateway.basePath, ...TUS, 'upload-length': '1000' })
    const location = created.headers.location as string
    const connection = await RawConnection.open(gateway.port)
    try {
      connection.write(
        `PATCH ${new URL(location).pathname} HTTP/1.1\r\nHost: 127.0.0.1\r\nTus-Resumable: 1.0.0\r\n` +
          `Content-Type: application/offset+octet-stream\r\nUpload-Offset: 0\r\nContent-Length: 1000\r\n\r\n${'x'.repeat(400)}`,
      )
      expect(await connection.text((t) => t.includes('\r\n\r\n'))).toMatch(/^HTTP\/1\.1 500 /)
      const status = await request(session, { ':method': 'HEAD', ':path': new URL(location).pathname, ...TUS })
      expect(status.headers['upload-offset']).toBe('400')
    } finally {
      connection.close()
      session.destroy()
    }
  })

  it('[R-84] disconnects a client that stalls in its request head', async () => {
    const connection = await RawConnection.open(gateway.port)
    connection.write(`PATCH ${gateway.basePath}x HTTP/1.1\r\nHost: 127.0.0.1\r\nTus-Resum`)
    await connection.closed
    expect(connection.received.toString('latin1')).toMatch(/^HTTP\/1\.1 408 /)
  })
})
