import { constants } from 'node:http2'
import { setTimeout as sleep } from 'node:timers/promises'
import { afterEach, describe, expect, it } from 'vitest'
import type { NodeExchange } from '../../src/transport/node-exchange.js'
import { answer, connect, request, type H2Answer } from './h2.js'
import { countingHandler, startListener, type TestListener } from './listener-harness.js'
import { RawConnection } from './raw-connection.js'
import { ErrorCode, errorCode, FrameType, headers, PREFACE, responseStatus, settings, settingsAck } from './raw-h2.js'

// The protections every connection gets, whatever it speaks: time limits on heads and idle
// connections, a size limit on heads, and limits on concurrent HTTP/2 streams (all of them, and
// those carrying a body).

let server: TestListener | undefined
afterEach(() => {
  server?.close()
  server = undefined
})

function get(path: string): Array<readonly [string, string]> {
  return [[':method', 'GET'], [':scheme', 'http'], [':path', path], [':authority', 'localhost']]
}

/** Answers 200 once `release` is called for it, so a test decides how long each stream stays open. */
function heldHandler(): { handler: (exchange: NodeExchange) => Promise<void>; releaseAll: () => void; held: () => number } {
  const waiting: Array<() => void> = []
  return {
    handler: async (exchange) => {
      await new Promise<void>((resolve) => waiting.push(resolve))
      await exchange.respond(200, {}, 'released')
    },
    releaseAll: () => waiting.splice(0).forEach((release) => release()),
    held: () => waiting.length,
  }
}

async function until(condition: () => boolean, limitMs = 5_000): Promise<void> {
  const deadline = Date.now() + limitMs
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time')
    await sleep(10)
  }
}

describe('request heads', () => {
  it('answers 431 to an HTTP/1.1 head larger than the limit, in cleartext and over TLS', async () => {
    server = await startListener(countingHandler, { maxHeaderSize: 4096 })
    const head = `GET / HTTP/1.1\r\nHost: localhost\r\nX-Padding: ${'a'.repeat(5000)}\r\n\r\n`
    for (const open of [() => RawConnection.open(server!.port), () => RawConnection.openTls(server!.port, server!.ca, ['http/1.1'])]) {
      const connection = await open()
      connection.write(head)
      expect(await connection.text((t) => t.includes('\r\n'))).toMatch(/^HTTP\/1\.1 431 /)
      connection.close()
    }
  })

  it('serves an HTTP/1.1 head just under the limit', async () => {
    server = await startListener(countingHandler, { maxHeaderSize: 4096 })
    const connection = await RawConnection.open(server.port)
    connection.write(`GET / HTTP/1.1\r\nHost: localhost\r\nX-Padding: ${'a'.repeat(3500)}\r\n\r\n`)
    expect(await connection.text((t) => t.includes('\r\n'))).toMatch(/^HTTP\/1\.1 200 /)
    connection.close()
  })

  it('resets an HTTP/2 stream whose header list is over the limit, and the session carries on', async () => {
    server = await startListener(countingHandler, { maxHeaderSize: 4096 })
    const connection = await RawConnection.open(server.port)
    try {
      // As every client does, it acknowledges the server's SETTINGS: only then does their limit apply.
      connection.write(Buffer.concat([PREFACE, settings()]))
      await connection.frame((f) => f.type === FrameType.SETTINGS && f.flags === 0)
      connection.write(Buffer.concat([settingsAck(), headers(1, [...get('/'), ['x-padding', 'a'.repeat(5000)]], true)]))
      const reset = await connection.frame((f) => f.streamId === 1 && f.type === FrameType.RST_STREAM)
      expect(errorCode(reset)).toBe(ErrorCode.ENHANCE_YOUR_CALM)
      connection.write(headers(3, get('/'), true))
      const answered = await connection.frame((f) => f.streamId === 3 && f.type === FrameType.HEADERS)
      expect(responseStatus(answered)).toBe(200)
      expect(connection.frames.some((f) => f.type === FrameType.GOAWAY)).toBe(false)
    } finally {
      connection.close()
    }
  })

  it('disconnects an HTTP/1.1 client that sends half a head and stalls (header timeout)', async () => {
    server = await startListener(countingHandler, { headersTimeoutMs: 300 })
    const connection = await RawConnection.open(server.port)
    connection.write('PATCH /files/x HTTP/1.1\r\nHost: localhost\r\nUpload-Off')
    await connection.closed
    expect(connection.received.toString('latin1')).toMatch(/^HTTP\/1\.1 408 /)
  })

  it('disconnects a TLS HTTP/1.1 client that sends half a head and stalls', async () => {
    server = await startListener(countingHandler, { headersTimeoutMs: 300 })
    const connection = await RawConnection.openTls(server.port, server.ca, ['http/1.1'])
    connection.write('PATCH /files/x HTTP/1.1\r\nHost: localhost\r\n')
    await connection.closed
    expect(connection.received.toString('latin1')).toMatch(/^HTTP\/1\.1 408 /)
  })

  it('disconnects a client that sends nothing, or only the start of a TLS handshake', async () => {
    server = await startListener(countingHandler, { headersTimeoutMs: 300 })
    const silent = await RawConnection.open(server.port)
    const stalledHandshake = await RawConnection.open(server.port)
    stalledHandshake.write(Buffer.from([0x16, 0x03, 0x01, 0x00]))
    await Promise.all([silent.closed, stalledHandshake.closed])
  })
})

describe('long requests and idle connections', () => {
  it('lets a request body run far past the header timeout (no overall request timeout), on every version', async () => {
    server = await startListener(countingHandler, { headersTimeoutMs: 200 })
    const trickle = async (connection: RawConnection): Promise<string> => {
      connection.write('PATCH / HTTP/1.1\r\nHost: localhost\r\nContent-Length: 8\r\n\r\n')
      for (let i = 0; i < 8; i++) {
        await sleep(100)
        connection.write('x')
      }
      return connection.text((t) => t.endsWith('\r\n\r\n8'))
    }
    const cleartext = await RawConnection.open(server.port)
    const tls = await RawConnection.openTls(server.port, server.ca, ['http/1.1'])
    const [a, b] = await Promise.all([trickle(cleartext), trickle(tls)])
    expect(a).toMatch(/^HTTP\/1\.1 200 /)
    expect(b).toMatch(/^HTTP\/1\.1 200 /)
    cleartext.close()
    tls.close()
  })

  it('closes an idle HTTP/1.1 keep-alive connection after the keep-alive timeout, also over TLS', async () => {
    server = await startListener(countingHandler, { keepAliveTimeoutMs: 300 })
    for (const open of [() => RawConnection.open(server!.port), () => RawConnection.openTls(server!.port, server!.ca, ['http/1.1'])]) {
      const connection = await open()
      connection.write('GET / HTTP/1.1\r\nHost: localhost\r\n\r\n')
      expect(await connection.text((t) => t.endsWith('\r\n\r\n0'))).toMatch(/keep-alive: timeout=0|Keep-Alive: timeout=0/i)
      await connection.closed
    }
  })

  it('sends GOAWAY to an HTTP/2 session that carries no stream for the keep-alive timeout', async () => {
    server = await startListener(countingHandler, { keepAliveTimeoutMs: 300 })
    const connection = await RawConnection.open(server.port)
    connection.write(Buffer.concat([PREFACE, settings()]))
    const goaway = await connection.frame((f) => f.type === FrameType.GOAWAY)
    expect(errorCode(goaway)).toBe(ErrorCode.NO_ERROR)
    await connection.closed
  })

  it('keeps an HTTP/2 session open while a stream waits longer than the keep-alive timeout', async () => {
    const held = heldHandler()
    server = await startListener(held.handler, { keepAliveTimeoutMs: 200 })
    const session = connect(server.port)
    try {
      const answered = request(session, { ':method': 'GET', ':path': '/' })
      await until(() => held.held() === 1)
      await sleep(600)
      held.releaseAll()
      expect((await answered).status).toBe(200)
      // Idle again: now the session is closed.
      await new Promise((resolve) => session.once('close', resolve))
    } finally {
      session.destroy()
    }
  })
})

describe('HTTP/2 streams', () => {
  it('refuses streams beyond the concurrent-stream limit and serves the session on', async () => {
    const held = heldHandler()
    server = await startListener(held.handler, { maxConcurrentStreams: 2 })
    const connection = await RawConnection.open(server.port)
    try {
      connection.write(Buffer.concat([PREFACE, settings(), headers(1, get('/'), true), headers(3, get('/'), true), headers(5, get('/'), true)]))
      const refused = await connection.frame((f) => f.streamId === 5 && f.type === FrameType.RST_STREAM)
      expect([ErrorCode.REFUSED_STREAM, ErrorCode.PROTOCOL_ERROR]).toContain(errorCode(refused))
      await until(() => held.held() === 2)
      held.releaseAll()
      await connection.frame((f) => f.streamId === 3 && f.type === FrameType.HEADERS)
      // With room again, a new stream is served on the same connection.
      connection.write(headers(7, get('/'), true))
      await until(() => held.held() === 1)
      held.releaseAll()
      const answered = await connection.frame((f) => f.streamId === 7 && f.type === FrameType.HEADERS)
      expect(responseStatus(answered)).toBe(200)
    } finally {
      connection.close()
    }
  })

  it('refuses a stream with a body beyond the per-connection limit (REFUSED_STREAM), not one without', async () => {
    const held = heldHandler()
    server = await startListener((exchange) => (exchange.method === 'PUT' ? held.handler(exchange) : countingHandler(exchange)), {
      maxBodyStreams: 2,
    })
    const session = connect(server.port)
    try {
      const put = (): Promise<H2Answer> => {
        const stream = session.request({ ':method': 'PUT', ':path': '/' })
        stream.write('part of a body')
        return answer(stream)
      }
      const first = [put(), put()]
      await until(() => held.held() === 2)
      const refused = await put()
      expect({ status: refused.status, rstCode: refused.rstCode }).toEqual({ status: 0, rstCode: constants.NGHTTP2_REFUSED_STREAM })
      // Requests without a body still get through, and a body stream is served again once one closes.
      expect((await request(session, { ':method': 'GET', ':path': '/' })).status).toBe(200)
      held.releaseAll()
      expect((await Promise.all(first)).map((a) => a.status)).toEqual([200, 200])
      const again = put()
      await until(() => held.held() === 1)
      held.releaseAll()
      expect((await again).status).toBe(200)
    } finally {
      session.destroy()
    }
  })

  it('announces its limits and windows in SETTINGS', async () => {
    server = await startListener(countingHandler, {
      maxConcurrentStreams: 7,
      maxHeaderSize: 8192,
      streamWindowSize: 1024 * 1024,
      connectionWindowSize: 8 * 1024 * 1024,
      maxFrameSize: 32 * 1024,
    })
    const session = connect(server.port)
    try {
      await new Promise((resolve) => session.once('remoteSettings', resolve))
      expect(session.remoteSettings).toMatchObject({
        maxConcurrentStreams: 7,
        maxHeaderListSize: 8192,
        initialWindowSize: 1024 * 1024,
        maxFrameSize: 32 * 1024,
      })
      // The connection window is raised with a WINDOW_UPDATE right after the SETTINGS.
      await until(() => session.state.remoteWindowSize === 8 * 1024 * 1024)
    } finally {
      session.destroy()
    }
  })
})
