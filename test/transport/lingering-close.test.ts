import net from 'node:net'
import tls from 'node:tls'
import { setTimeout as sleep } from 'node:timers/promises'
import { afterEach, describe, expect, it } from 'vitest'
import type { NodeExchange } from '../../src/transport/node-exchange.js'
import { startListener, type TestListener } from './listener-harness.js'

// HTTP/1.1 answers sent before the request body was read (a 409, a 413, an interrupted upload's 400):
// the connection must not be torn down under a client (or proxy) still sending, or its answer is lost
// to a TCP reset. The gateway half-closes and reads on for a bounded time and size ("lingering close").

let server: TestListener | undefined
afterEach(() => {
  server?.close()
  server = undefined
})

const LIMITS = { lingerTimeMs: 1_500, lingerIdleMs: 400, lingerMaxBytes: 24 * 1024 * 1024, drainMaxBytes: 16 * 1024 }

/** Answers 409 at once, never reading the body. */
async function answerEarly(exchange: NodeExchange): Promise<void> {
  await exchange.respond(409, { 'content-type': 'text/plain' }, 'stale offset')
}

/** A raw client connection that stays writable after the server's FIN (as a proxy's upstream connection does). */
class Client {
  readonly socket: net.Socket
  received = ''
  /** Set when the server half-closed (FIN). */
  serverEnded = false
  /** The error a write met (EPIPE, ECONNRESET), if any. */
  error: Error | undefined
  readonly closed: Promise<void>
  bytesSent = 0

  constructor(socket: net.Socket) {
    this.socket = socket
    socket.setEncoding('latin1')
    socket.on('data', (text: string) => (this.received += text))
    socket.on('end', () => (this.serverEnded = true))
    socket.on('error', (error) => (this.error ??= error))
    this.closed = new Promise((resolve) => socket.once('close', () => resolve()))
  }

  static async open(port: number): Promise<Client> {
    const socket = net.connect({ port, host: '127.0.0.1', allowHalfOpen: true })
    await new Promise((resolve, reject) => socket.once('connect', resolve).once('error', reject))
    return new Client(socket)
  }

  static async openTls(port: number, ca: string): Promise<Client> {
    const socket = tls.connect({ port, host: '127.0.0.1', ca, servername: 'localhost', ALPNProtocols: ['http/1.1'] })
    await new Promise((resolve, reject) => socket.once('secureConnect', resolve).once('error', reject))
    return new Client(socket)
  }

  /** Writes `bytes` in 64 KiB pieces as fast as the connection takes them; stops at the first error. */
  async send(bytes: number): Promise<void> {
    const piece = Buffer.alloc(64 * 1024, 1)
    for (let sent = 0; sent < bytes && this.error === undefined && !this.socket.destroyed; sent += piece.length) {
      this.bytesSent += piece.length
      if (!this.socket.write(piece)) await new Promise((resolve) => this.socket.once('drain', resolve).once('close', resolve))
    }
  }

  /**
   * Resolves once the server has closed its end completely. A half-open client does not see that by
   * itself (it got the FIN long before): a byte written after a pause longer than the server's idle
   * time meets the reset of a closed socket.
   */
  async closedByServer(pauseMs: number): Promise<void> {
    while (this.error === undefined && !this.socket.destroyed) {
      await sleep(pauseMs)
      this.socket.write('.')
      await sleep(50)
    }
  }

  async answer(): Promise<string> {
    while (!/\r\n\r\n[\s\S]*stale offset/.test(this.received)) {
      if (this.socket.destroyed) throw new Error(`closed before the answer: ${JSON.stringify(this.received)}`)
      await sleep(5)
    }
    return this.received
  }
}

const head = (contentLength: number): string =>
  `PATCH /files/x HTTP/1.1\r\nHost: localhost\r\nContent-Length: ${contentLength}\r\n\r\n`

describe('an HTTP/1.1 answer sent before the body was read', () => {
  it('is sent whole with Connection: close, then the connection half-closes and keeps reading what still comes', async () => {
    server = await startListener(answerEarly, { unreadBody: { ...LIMITS, lingerTimeMs: 60_000 } })
    const client = await Client.open(server.port)
    client.socket.write(head(1024 ** 3))
    await client.send(64 * 1024)
    expect(await client.answer()).toMatch(/^HTTP\/1\.1 409 [\s\S]*\r\nconnection: close\r\n/i)
    while (!client.serverEnded) await sleep(5)
    // 16 MiB after the answer: more than the socket buffers hold, so it only goes through if the
    // gateway reads it; no reset, no EPIPE.
    await client.send(16 * 1024 * 1024)
    expect(client.error).toBeUndefined()
    expect(client.socket.destroyed).toBe(false)
    // The client stops sending: the gateway closes after its idle time (not its total time).
    await client.closedByServer(LIMITS.lingerIdleMs * 2)
  })

  it('closes once more than the byte limit arrived, long before the announced body', async () => {
    server = await startListener(answerEarly, { unreadBody: { ...LIMITS, lingerMaxBytes: 4 * 1024 * 1024, lingerIdleMs: 60_000, lingerTimeMs: 60_000 } })
    const client = await Client.open(server.port)
    client.socket.write(head(1024 ** 3))
    await client.send(256 * 1024 * 1024)
    await client.closed
    expect(await client.answer()).toMatch(/^HTTP\/1\.1 409 /)
    expect(client.bytesSent).toBeGreaterThan(4 * 1024 * 1024)
    expect(client.bytesSent).toBeLessThan(256 * 1024 * 1024)
  })

  it('closes after the linger time even when the client keeps trickling', async () => {
    server = await startListener(answerEarly, { unreadBody: LIMITS })
    const client = await Client.open(server.port)
    client.socket.write(head(1024 ** 3))
    await client.answer()
    let trickled = 0
    while (!client.socket.destroyed && client.error === undefined && trickled < 100) {
      client.socket.write('x'.repeat(100))
      trickled += 1
      await sleep(100)
    }
    // 100 pieces 100 ms apart (10 s) would keep the idle timer from firing: the total limit closed it.
    expect(trickled).toBeLessThan(100)
  })

  it('reads a short rest of a body of known length and keeps the connection for the next request', async () => {
    server = await startListener(answerEarly, { unreadBody: LIMITS })
    const client = await Client.open(server.port)
    client.socket.write(head(12_000) + 'a'.repeat(2_000))
    const first = await client.answer()
    expect(first).not.toMatch(/connection: close/i)
    client.socket.write('b'.repeat(10_000))
    client.socket.write(head(0))
    while ((client.received.match(/HTTP\/1\.1 409/g) ?? []).length < 2) {
      if (client.socket.destroyed) throw new Error(`closed: ${client.received}`)
      await sleep(5)
    }
    expect(client.serverEnded).toBe(false)
    client.socket.destroy()
  })

  it('keeps the connection of a request without a body answered at once (node marks it complete only later)', async () => {
    server = await startListener(answerEarly, { unreadBody: LIMITS })
    const client = await Client.open(server.port)
    // RFC 9112 §6.3: without Content-Length or Transfer-Encoding a request has no body, as a CORS preflight.
    client.socket.write('OPTIONS /files/ HTTP/1.1\r\nHost: localhost\r\n\r\n')
    expect(await client.answer()).not.toMatch(/connection: close/i)
    client.socket.write('OPTIONS /files/ HTTP/1.1\r\nHost: localhost\r\n\r\n')
    while ((client.received.match(/HTTP\/1\.1 409/g) ?? []).length < 2) {
      if (client.socket.destroyed) throw new Error(`closed: ${client.received}`)
      await sleep(5)
    }
    expect(client.serverEnded).toBe(false)
    client.socket.destroy()
  })

  it('closes a kept connection whose short rest never comes', async () => {
    server = await startListener(answerEarly, { unreadBody: { ...LIMITS, lingerTimeMs: 60_000 } })
    const client = await Client.open(server.port)
    client.socket.write(head(12_000) + 'a'.repeat(2_000))
    await client.answer()
    while (!client.serverEnded) await sleep(5)
    await client.closedByServer(LIMITS.lingerIdleMs * 2)
  })

  it('lingers over TLS too: the answer arrives whole, and the connection closes', async () => {
    server = await startListener(answerEarly, { unreadBody: LIMITS })
    const client = await Client.openTls(server.port, server.ca)
    client.socket.write(head(1024 ** 3))
    void client.send(2 * 1024 * 1024)
    expect(await client.answer()).toMatch(/^HTTP\/1\.1 409 [\s\S]*\r\nconnection: close\r\n/i)
    await client.closed
  })
})
