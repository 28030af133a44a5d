import { setTimeout as sleep } from 'node:timers/promises'
import { afterEach, describe, expect, it } from 'vitest'
import { BodyTooSlow } from '../../src/model/stop-reasons.js'
import type { NodeExchange } from '../../src/transport/node-exchange.js'
import { countingHandler, startListener, type TestListener } from './listener-harness.js'
import { RawConnection } from './raw-connection.js'
import { errorCode, ErrorCode, FrameType, PREFACE, settings } from './raw-h2.js'

// Connections beyond --max-connections (or beyond --max-connections-per-ip from one address) are
// answered at once and closed, and the connections already open go on; request bodies slower than
// --min-body-rate are stopped.

let server: TestListener | undefined
afterEach(() => {
  server?.close()
  server = undefined
})

const GET = 'GET / HTTP/1.1\r\nHost: localhost\r\n\r\n'

/** Sends a GET on an open HTTP/1.1 connection and waits for its whole answer (countingHandler: "0"). */
async function get(connection: RawConnection): Promise<string> {
  const before = connection.received.length
  connection.write(GET)
  const text = await connection.text((t) => /\r\n\r\n0$/.test(t.slice(before)))
  return text.slice(before)
}

describe('--max-connections', () => {
  it('answers an HTTP/1.1 connection over the limit 503 with Retry-After at once, and the open ones go on', async () => {
    server = await startListener(countingHandler, { maxConnections: 3 })
    const open = await Promise.all([1, 2, 3].map(() => RawConnection.open(server!.port)))
    for (const connection of open) expect(await get(connection)).toMatch(/^HTTP\/1\.1 200 /)

    const refused = await RawConnection.open(server.port)
    refused.write(GET)
    await refused.closed
    const answer = refused.received.toString('latin1')
    expect(answer).toMatch(/^HTTP\/1\.1 503 Service Unavailable\r\n/)
    expect(answer).toMatch(/\r\nRetry-After: 5\r\n/)
    expect(answer).toMatch(/\r\nConnection: close\r\n/)
    expect(answer).toMatch(/too many connections/)

    for (const connection of open) expect(await get(connection)).toMatch(/^HTTP\/1\.1 200 /)
    // Once one leaves, a new connection is served again.
    open[0]!.close()
    let served = false
    for (let attempt = 0; attempt < 50 && !served; attempt++) {
      const next = await RawConnection.open(server.port)
      next.write(GET)
      served = /^HTTP\/1\.1 200 /.test(await next.text((t) => t.includes('\r\n\r\n')).catch(() => ''))
      next.close()
      if (!served) await sleep(20)
    }
    expect(served).toBe(true)
    for (const connection of open) connection.close()
  })

  it('answers an h2c connection over the limit with GOAWAY (last stream 0), and closes a TLS one', async () => {
    server = await startListener(countingHandler, { maxConnections: 1 })
    const holder = await RawConnection.open(server.port)
    expect(await get(holder)).toMatch(/^HTTP\/1\.1 200 /)

    const h2c = await RawConnection.open(server.port)
    h2c.write(Buffer.concat([PREFACE, settings()]))
    const goaway = await h2c.frame((f) => f.type === FrameType.GOAWAY)
    expect(goaway.payload.readUInt32BE(0)).toBe(0)
    expect(errorCode(goaway)).toBe(ErrorCode.NO_ERROR)
    expect(goaway.payload.subarray(8).toString('latin1')).toMatch(/too many connections/)
    await h2c.closed

    await expect(RawConnection.openTls(server.port, server.ca, ['h2'])).rejects.toThrow()
    expect(await get(holder)).toMatch(/^HTTP\/1\.1 200 /)
    holder.close()
  })
})

describe('a connection closed before its first byte', () => {
  it('is closed at once, its place (and descriptor) free for the next one', async () => {
    // Load balancers' TCP health checks and port scanners connect and close without a word: each one kept a
    // descriptor and a place under --max-connections until the head timeout (60 s).
    server = await startListener(countingHandler, { maxConnections: 1 })
    for (let check = 0; check < 3; check++) {
      const silent = await RawConnection.open(server.port)
      silent.socket.end()
      await silent.closed
    }
    const next = await RawConnection.open(server.port)
    expect(await get(next)).toMatch(/^HTTP\/1\.1 200 /)
    next.close()
  })

  it('is closed at once when it sent only the start of an HTTP/2 preface', async () => {
    server = await startListener(countingHandler, { maxConnections: 1 })
    const silent = await RawConnection.open(server.port)
    silent.write('PR')
    silent.socket.end()
    await silent.closed
    const next = await RawConnection.open(server.port)
    expect(await get(next)).toMatch(/^HTTP\/1\.1 200 /)
    next.close()
  })
})

describe('--max-connections-per-ip', () => {
  it('refuses a client address over its share, while other addresses are still served', async () => {
    server = await startListener(countingHandler, { maxConnections: 10, maxConnectionsPerIp: 2 })
    const mine = [await RawConnection.open(server.port, '127.0.0.1'), await RawConnection.open(server.port, '127.0.0.1')]
    for (const connection of mine) expect(await get(connection)).toMatch(/^HTTP\/1\.1 200 /)

    const third = await RawConnection.open(server.port, '127.0.0.1')
    third.write(GET)
    await third.closed
    expect(third.received.toString('latin1')).toMatch(/^HTTP\/1\.1 503 [\s\S]*too many connections from your address/)

    const h2c = await RawConnection.open(server.port, '127.0.0.1')
    h2c.write(Buffer.concat([PREFACE, settings()]))
    expect(errorCode(await h2c.frame((f) => f.type === FrameType.GOAWAY))).toBe(ErrorCode.ENHANCE_YOUR_CALM)

    const other = await RawConnection.open(server.port, '127.0.0.2')
    expect(await get(other)).toMatch(/^HTTP\/1\.1 200 /)
    for (const connection of [...mine, other, h2c]) connection.close()
  })
})

describe('--min-body-rate', () => {
  /** Reads the body; answers with the reason its signal was aborted with, or the byte count. */
  async function watchingHandler(exchange: NodeExchange): Promise<void> {
    let bytes = 0
    const stopped = new Promise<void>((resolve) => exchange.signal.addEventListener('abort', () => resolve(), { once: true }))
    const read = (async () => {
      for await (const chunk of exchange.body) bytes += chunk.byteLength
    })()
    await Promise.race([read, stopped])
    const reason: unknown = exchange.signal.reason
    const text = reason instanceof BodyTooSlow ? `stopped: ${reason.name} after ${bytes} bytes` : `read ${bytes} bytes`
    await exchange.respond(200, { 'content-type': 'text/plain' }, text)
  }

  const rate = { bytesPerSecond: 2_000, windowMs: 1_000 }

  it('stops a body that trickles below the rate, through the exchange signal (BodyTooSlow)', async () => {
    server = await startListener(watchingHandler, { minBodyRate: rate })
    const connection = await RawConnection.open(server.port)
    connection.write('PATCH / HTTP/1.1\r\nHost: localhost\r\nContent-Length: 100000\r\n\r\n')
    // 100 bytes every 200 ms: 500 bytes/s, a quarter of the minimum.
    let sent = 0
    while (!connection.received.includes('\r\n\r\n') && sent < 100_000 && !connection.socket.destroyed) {
      connection.write('x'.repeat(100))
      sent += 100
      await sleep(200)
    }
    const answer = await connection.text((t) => /bytes$/.test(t))
    expect(answer).toMatch(/stopped: BodyTooSlow after \d+ bytes$/)
    expect(sent).toBeLessThan(100_000)
    connection.close()
  })

  it('lets a body at a good rate run, and does not count the time nobody reads it', async () => {
    // Waits 1.5 s before reading (as a request waiting for a lock does), then reads everything.
    server = await startListener(
      async (exchange) => {
        await sleep(1_500)
        await watchingHandler(exchange)
      },
      { minBodyRate: rate },
    )
    const connection = await RawConnection.open(server.port)
    connection.write('PATCH / HTTP/1.1\r\nHost: localhost\r\nContent-Length: 60000\r\n\r\n')
    // 20,000 bytes/s for 3 s: ten times the minimum.
    for (let i = 0; i < 15; i++) {
      connection.write('y'.repeat(4_000))
      await sleep(200)
    }
    expect(await connection.text((t) => /bytes$/.test(t))).toMatch(/read 60000 bytes$/)
    connection.close()
  })
})
