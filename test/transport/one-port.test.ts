import https from 'node:https'
import http2 from 'node:http2'
import type { ConnectionOptions } from 'node:tls'
import { setTimeout as sleep } from 'node:timers/promises'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startGateway, type TestGateway } from '../support/gateway.js'
import { http2Client } from '../support/http2-client.js'
import { createUpload, OFFSET_OCTET_STREAM, storedOffset } from '../support/tus.js'
import { RawConnection } from './raw-connection.js'
import { data, FrameType, headers, PREFACE, responseStatus, settings } from './raw-h2.js'

// One port takes HTTP/1.1, h2c with prior knowledge and TLS (ALPN h2 or http/1.1): the listener
// looks at the first bytes and hands the connection over without losing any of them.

let gateway: TestGateway
beforeAll(async () => {
  gateway = await startGateway()
})
afterAll(async () => {
  await gateway.close()
})

function authority(): string {
  return `127.0.0.1:${gateway.port}`
}

describe('h2c with prior knowledge', () => {
  it('serves a request whose preface, SETTINGS, HEADERS and DATA arrive in one packet, keeping every byte', async () => {
    const client = http2Client(gateway.port)
    const connection = await RawConnection.open(gateway.port)
    try {
      const location = await createUpload(client, gateway.basePath, { length: 32 })
      const body = Buffer.from('0123456789abcdef')
      connection.write(
        Buffer.concat([
          PREFACE,
          settings(),
          headers(1, [
            [':method', 'PATCH'],
            [':scheme', 'http'],
            [':path', new URL(location).pathname],
            [':authority', authority()],
            ['tus-resumable', '1.0.0'],
            ['upload-offset', '0'],
            ['content-type', OFFSET_OCTET_STREAM],
          ]),
          data(1, body, true),
        ]),
      )
      const response = await connection.frame((f) => f.type === FrameType.HEADERS && f.streamId === 1)
      expect(responseStatus(response)).toBe(204)
      // Every byte of the DATA frame reached the upload: nothing read while sniffing was lost.
      expect(await storedOffset(client, location)).toBe(body.length)
    } finally {
      connection.close()
      await client.close()
    }
  })

  it('waits for more bytes when the first packet holds only the start of the preface', async () => {
    const connection = await RawConnection.open(gateway.port)
    try {
      connection.write(PREFACE.subarray(0, 2))
      await sleep(50)
      connection.write(
        Buffer.concat([
          PREFACE.subarray(2),
          settings(),
          headers(1, [[':method', 'OPTIONS'], [':scheme', 'http'], [':path', gateway.basePath], [':authority', authority()]], true),
        ]),
      )
      const response = await connection.frame((f) => f.type === FrameType.HEADERS && f.streamId === 1)
      expect(responseStatus(response)).toBe(200)
    } finally {
      connection.close()
    }
  })

  it('serves node:http2 requests made before the session is even connected', async () => {
    const session = http2.connect(`http://${authority()}`)
    try {
      // Both requests are queued at once, so the preface, SETTINGS and both HEADERS leave together.
      const ask = (): Promise<number> =>
        new Promise((resolve, reject) => {
          const stream = session.request({ ':method': 'OPTIONS', ':path': gateway.basePath }, { endStream: true })
          stream.on('response', (h) => resolve(Number(h[':status'])))
          stream.on('error', reject)
          stream.resume()
        })
      expect(await Promise.all([ask(), ask()])).toEqual([200, 200])
    } finally {
      session.close()
    }
  })
})

describe('HTTP/1.1', () => {
  it('answers two pipelined requests written in one packet, in order', async () => {
    const client = http2Client(gateway.port)
    const location = await createUpload(client, gateway.basePath, { length: 10 })
    await client.close()
    const path = new URL(location).pathname
    const connection = await RawConnection.open(gateway.port)
    try {
      connection.write(
        `PATCH ${path} HTTP/1.1\r\nHost: ${authority()}\r\nTus-Resumable: 1.0.0\r\nUpload-Offset: 0\r\n` +
          `Content-Type: ${OFFSET_OCTET_STREAM}\r\nContent-Length: 5\r\n\r\nhello` +
          `HEAD ${path} HTTP/1.1\r\nHost: ${authority()}\r\nTus-Resumable: 1.0.0\r\n\r\n`,
      )
      const text = await connection.text((t) => (t.match(/\r\n\r\n/g) ?? []).length >= 2)
      const statuses = [...text.matchAll(/^HTTP\/1\.1 (\d{3})/gm)].map((m) => m[1])
      expect(statuses).toEqual(['204', '200'])
      const offsets = [...text.matchAll(/^upload-offset: (\d+)/gim)].map((m) => m[1])
      expect(offsets).toEqual(['5', '5'])
    } finally {
      connection.close()
    }
  })

  it('serves a request whose first byte arrives alone (it could still have been the h2 preface)', async () => {
    const connection = await RawConnection.open(gateway.port)
    try {
      connection.write('O')
      await sleep(50)
      connection.write(`PTIONS ${gateway.basePath} HTTP/1.1\r\nHost: ${authority()}\r\n\r\n`)
      const text = await connection.text((t) => t.includes('\r\n\r\n'))
      expect(text).toMatch(/^HTTP\/1\.1 200 /)
    } finally {
      connection.close()
    }
  })
})

describe('TLS', () => {
  it('negotiates h2 by ALPN and serves frames sent right after the handshake', async () => {
    const connection = await RawConnection.openTls(gateway.port, gateway.ca, ['h2', 'http/1.1'])
    try {
      expect((connection.socket as import('node:tls').TLSSocket).alpnProtocol).toBe('h2')
      connection.write(
        Buffer.concat([
          PREFACE,
          settings(),
          headers(1, [[':method', 'OPTIONS'], [':scheme', 'https'], [':path', gateway.basePath], [':authority', authority()]], true),
        ]),
      )
      const response = await connection.frame((f) => f.type === FrameType.HEADERS && f.streamId === 1)
      expect(responseStatus(response)).toBe(200)
    } finally {
      connection.close()
    }
  })

  it('negotiates http/1.1 by ALPN for a client that offers only that', async () => {
    const response = await new Promise<{ status: number; alpn: string | false | null }>((resolve, reject) => {
      // https.request passes ALPNProtocols on to tls.connect, but its RequestOptions type does not list it.
      const options: https.RequestOptions & Pick<ConnectionOptions, 'ALPNProtocols'> = { host: '127.0.0.1', port: gateway.port, servername: 'localhost', method: 'OPTIONS', path: gateway.basePath, ca: gateway.ca, ALPNProtocols: ['http/1.1'], agent: false }
      const request = https.request(
        options,
        (res) => {
          res.resume()
          resolve({ status: res.statusCode ?? 0, alpn: (res.socket as import('node:tls').TLSSocket).alpnProtocol })
        },
      )
      request.on('error', reject)
      request.end()
    })
    expect(response).toEqual({ status: 200, alpn: 'http/1.1' })
  })

  it('serves HTTP/1.1 to a TLS client that offers no ALPN at all', async () => {
    const connection = await RawConnection.openTls(gateway.port, gateway.ca, [])
    try {
      connection.write(`OPTIONS ${gateway.basePath} HTTP/1.1\r\nHost: ${authority()}\r\n\r\n`)
      const text = await connection.text((t) => t.includes('\r\n\r\n'))
      expect(text).toMatch(/^HTTP\/1\.1 200 /)
    } finally {
      connection.close()
    }
  })
})
