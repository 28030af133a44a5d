import http from 'node:http'
import http2 from 'node:http2'
import { afterEach, describe, expect, it } from 'vitest'
import { ClientGone } from '../../src/model/stop-reasons.js'
import type { NodeExchange } from '../../src/transport/node-exchange.js'
import { answer, connect } from './h2.js'
import { startListener, type TestListener } from './listener-harness.js'
import { RawConnection } from './raw-connection.js'
import { headers, PREFACE, settings } from './raw-h2.js'

// A request whose client went away must say so at once through its signal: a request waiting for a lock
// leaves the queue on it (issue 10, item 1). Over HTTP/2, node's compat response tells nothing when the
// client resets a stream: a HEAD's response never closes, and any other's reports itself finished.

/** What a handler saw: its exchange, and a promise of the reason its signal aborted with. */
interface Seen {
  readonly exchange: NodeExchange
  readonly aborted: Promise<unknown>
}

/** A listener whose handler never answers by itself; the test answers through the exchange. */
async function holdingListener(): Promise<{ listener: TestListener; next(): Promise<Seen> }> {
  const waiting: Array<(seen: Seen) => void> = []
  const arrived: Seen[] = []
  const listener = await startListener(async (exchange) => {
    const aborted = new Promise<unknown>((resolve) => exchange.signal.addEventListener('abort', () => resolve(exchange.signal.reason), { once: true }))
    const seen = { exchange, aborted }
    const taker = waiting.shift()
    if (taker === undefined) arrived.push(seen)
    else taker(seen)
    await aborted
  })
  return {
    listener,
    next: () => {
      const seen = arrived.shift()
      return seen === undefined ? new Promise((resolve) => waiting.push(resolve)) : Promise.resolve(seen)
    },
  }
}

describe('a client that goes away aborts its exchange', () => {
  let listener: TestListener | undefined
  afterEach(() => {
    listener?.close()
    listener = undefined
  })

  for (const method of ['HEAD', 'GET', 'PATCH']) {
    it(`over HTTP/2, a ${method} whose stream the client resets`, async () => {
      const held = await holdingListener()
      listener = held.listener
      const session = connect(listener.port)
      const stream = session.request({ ':method': method, ':path': '/files/x' }, { endStream: method !== 'PATCH' })
      if (method === 'PATCH') stream.write(Buffer.alloc(10))
      const closed = answer(stream)
      const seen = await held.next()
      stream.close(http2.constants.NGHTTP2_CANCEL)
      await closed
      expect(await seen.aborted).toBeInstanceOf(ClientGone)
      // Nobody is left to answer: responding is a no-op, not an error.
      await expect(seen.exchange.respond(200, {}, 'late')).resolves.toBeUndefined()
      // The connection lives on.
      const other = session.request({ ':method': 'HEAD', ':path': '/files/y' })
      const next = await held.next()
      await next.exchange.respond(204, {})
      expect((await answer(other)).status).toBe(204)
      session.destroy()
    })
  }

  for (const tls of [false, true]) {
    it(`over HTTP/2${tls ? ' with TLS' : ''}, every stream of a connection that closes`, async () => {
      const held = await holdingListener()
      listener = held.listener
      const session = connect(listener.port, tls ? listener.ca : undefined)
      for (const method of ['HEAD', 'GET']) void answer(session.request({ ':method': method, ':path': '/files/x' }))
      const seen = [await held.next(), await held.next()]
      session.destroy()
      for (const { aborted } of seen) expect(await aborted).toBeInstanceOf(ClientGone)
    })
  }

  for (const tls of [false, true]) {
    it(`over HTTP/2${tls ? ' with TLS' : ''}, a client that sends its requests and its FIN at once leaves the listener serving`, async () => {
      const held = await holdingListener()
      listener = held.listener
      for (let i = 0; i < 20; i++) {
        const connection = tls ? await RawConnection.openTls(listener.port, listener.ca, ['h2']) : await RawConnection.open(listener.port)
        const request = headers(1, [[':method', 'HEAD'], [':scheme', 'http'], [':authority', 'localhost'], [':path', '/files/x']], true)
        connection.socket.end(Buffer.concat([PREFACE, settings(), request]))
        const seen = await held.next()
        expect(await seen.aborted).toBeInstanceOf(ClientGone)
        await connection.closed
      }
      const session = connect(listener.port)
      const stream = session.request({ ':method': 'HEAD', ':path': '/files/y' })
      await (await held.next()).exchange.respond(204, {})
      expect((await answer(stream)).status).toBe(204)
      session.destroy()
    })
  }

  // A FIN alone after a whole request is a half-close: that client still waits for its answer (see the
  // listener), so these clients reset their connection.
  for (const method of ['HEAD', 'GET', 'PATCH']) {
    it(`over HTTP/1.1, a ${method} whose connection is reset`, async () => {
      const held = await holdingListener()
      listener = held.listener
      const request = http.request({ host: '127.0.0.1', port: listener.port, method, path: '/files/x', agent: false })
      request.on('error', () => {})
      if (method === 'PATCH') request.write(Buffer.alloc(10))
      else request.end()
      const seen = await held.next()
      request.socket?.resetAndDestroy()
      expect(await seen.aborted).toBeInstanceOf(ClientGone)
      await expect(seen.exchange.respond(200, {}, 'late')).resolves.toBeUndefined()
    })
  }

  it('not once the whole answer was sent, even when the gateway then resets the stream (an early answer)', async () => {
    const signals: AbortSignal[] = []
    listener = await startListener(async (exchange) => {
      signals.push(exchange.signal)
      // Answered without reading the body: the stream is reset with NO_ERROR after the answer.
      await exchange.respond(409, {}, 'no')
    })
    const session = connect(listener.port)
    const stream = session.request({ ':method': 'PATCH', ':path': '/files/x' })
    stream.write(Buffer.alloc(1000))
    expect((await answer(stream)).status).toBe(409)
    const head = await answer(session.request({ ':method': 'HEAD', ':path': '/files/x' }, { endStream: true }))
    expect(head.status).toBe(409)
    session.destroy()
    await new Promise((resolve) => setTimeout(resolve, 50))
    expect(signals.map((signal) => signal.aborted)).toEqual([false, false])
  })
})
