import { connect } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startGateway, type TestGateway } from '../support/gateway.js'

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
