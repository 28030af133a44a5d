import http2, { type ClientHttp2Session } from 'node:http2'
import { setTimeout as sleep } from 'node:timers/promises'
import { describe, expect, it } from 'vitest'
import type { NodeExchange } from '../../src/transport/node-exchange.js'
import { connect } from './h2.js'
import { countingHandler, startListener } from './listener-harness.js'

// Early answers over HTTP/2 on the bare transport, with a handler answering as the gateway does: the
// answer must reach node's own client, whose stream must close, and the reset stream must be freed on
// the server. (test/transport/early-answer.test.ts does the same through the gateway, frame by frame.)

describe('early answers over HTTP/2 to node:http2 clients', () => {
  // The transport alone, with a handler answering as the gateway does: 409 before reading the body,
  // or 400 after reading some of it (an interrupted upload), and small stream windows (64 KiB), so
  // that a client writing as fast as it can always has writes pending when its reset arrives.
  async function earlyHandler(exchange: NodeExchange): Promise<void> {
    const kind = exchange.headers['x-answer']
    if (kind === '400') await exchange.body[Symbol.asyncIterator]().next()
    if (kind === '400' || kind === '409') {
      await exchange.respond(Number(kind), { 'content-type': 'text/plain' }, `answered ${kind} early`)
      return
    }
    await countingHandler(exchange)
  }

  /**
   * A PATCH that writes its body as fast as flow control lets it and never ends it. node's client
   * closes such a stream when the answer ended (END_STREAM) before the reset; after a reset that cut
   * the answer it waits for its pending writes forever. Resolves at 'close' with the status and body,
   * or with 'never closed' and what the client saw after 10 s.
   */
  function pumpingPatch(session: ClientHttp2Session, answer: '400' | '409'): Promise<string> {
    return new Promise((resolve) => {
      const stream = session.request({ ':method': 'PATCH', ':path': '/', 'x-answer': answer })
      let status = 0
      let body = ''
      let ended = false
      stream.setEncoding('utf8')
      stream.on('response', (h) => (status = Number(h[':status'])))
      stream.on('data', (text: string) => (body += text))
      stream.on('end', () => (ended = true))
      stream.on('error', () => {})
      const timer = setTimeout(() => {
        resolve(`${status} never closed (END_STREAM seen: ${ended}, reset: ${stream.rstCode ?? 'none'})`)
        stream.destroy()
      }, 10_000)
      stream.on('close', () => {
        clearTimeout(timer)
        resolve(`${status} ${body}`)
      })
      const piece = Buffer.alloc(16 * 1024, 9)
      const pump = (): void => {
        while (!stream.destroyed && !stream.writableEnded && stream.write(piece));
      }
      stream.on('drain', pump)
      pump()
    })
  }

  it('1,000 early-answered streams of clients still writing, beside an upload, all get their answer and close', async () => {
    const server = await startListener(earlyHandler, { streamWindowSize: 64 * 1024 })
    // node's client counts, for good, one pending write of every stream reset under it against its
    // session memory (10 MB by default): after ~150 such streams it refuses new ones itself
    // (ENHANCE_YOUR_CALM). That is the client's limit, not the gateway's: it gets room here.
    const sessions = Array.from({ length: 4 }, () => {
      const session = http2.connect(`http://127.0.0.1:${server.port}`, { maxSessionMemory: 1_000 })
      session.on('error', () => {})
      return session
    })
    // Load on the first connection: an upload read to its end, 16 KiB every millisecond.
    let loading = true
    const load = sessions[0]!.request({ ':method': 'PUT', ':path': '/load' })
    load.on('error', () => {})
    load.resume()
    const loaded = new Promise((resolve) => load.once('close', resolve))
    void (async () => {
      while (loading && !load.destroyed) {
        load.write(Buffer.alloc(16 * 1024, 1))
        await sleep(1)
      }
      load.end()
    })()
    const outcomes: string[] = []
    try {
      await Promise.all(
        sessions.map(async (session) => {
          // 4 streams at a time per connection, 250 per connection.
          for (let round = 0; round < 63; round++) {
            outcomes.push(...(await Promise.all((['400', '409', '400', '409'] as const).map((answer) => pumpingPatch(session, answer)))))
            if (outcomes.some((outcome) => outcome.includes('never closed'))) return
          }
        }),
      )
    } finally {
      loading = false
      await loaded
      for (const session of sessions) session.destroy()
      server.close()
    }
    const counts: Record<string, number> = {}
    for (const outcome of outcomes) counts[outcome] = (counts[outcome] ?? 0) + 1
    expect(Object.keys(counts).filter((outcome) => !/^(400|409) answered \1 early$/.test(outcome)).map((o) => `${o}: ${counts[o]}`)).toEqual([])
    expect(outcomes.length).toBeGreaterThanOrEqual(1000)
  }, 90_000)
})

describe('streams answered early over HTTP/2', () => {
  it('are freed once reset, however much the client sent: 30 interrupted uploads in a row on one connection', async () => {
    // Reads a little of the body, then answers as an interrupted upload does.
    const interrupted = async (exchange: NodeExchange): Promise<void> => {
      await exchange.body[Symbol.asyncIterator]().next()
      await exchange.respond(400, { 'content-type': 'text/plain' }, 'interrupted')
    }
    const server = await startListener(interrupted)
    const session = connect(server.port)
    try {
      const outcomes: string[] = []
      // The answer, then the reset: NO_ERROR a moment after the answer left, or CANCEL sooner when the client (node's
      // keeps writing after its answer) sends more than the linger bytes meanwhile, as it can on loopback.
      const FREED = /^400 rst (0|8)$/
      // More than the 16 body streams a connection may have open at once: a stream left open after its
      // reset (its unread data never drained) made every later upload on the connection REFUSED_STREAM.
      for (let i = 0; i < 30; i++) {
        outcomes.push(
          await new Promise<string>((resolve) => {
            const stream = session.request({ ':method': 'PATCH', ':path': '/' })
            let status = 0
            stream.on('response', (h) => (status = Number(h[':status'])))
            stream.on('error', () => {})
            stream.resume()
            const piece = Buffer.alloc(64 * 1024)
            const pump = (): void => {
              while (!stream.destroyed && stream.write(piece));
            }
            stream.on('drain', pump)
            pump()
            const timer = setTimeout(() => {
              resolve(`${status} never closed`)
              stream.destroy()
            }, 2_000)
            stream.on('close', () => {
              clearTimeout(timer)
              resolve(`${status} rst ${stream.rstCode ?? 'none'}`)
            })
          }),
        )
        if (!FREED.test(outcomes.at(-1) as string)) break
      }
      expect(outcomes.filter((outcome) => !FREED.test(outcome))).toEqual([])
    } finally {
      session.destroy()
      server.close()
    }
  })
})

describe('streams answered early over HTTP/2 to a client that reads nothing', () => {
  const answerAtOnce = (exchange: NodeExchange): Promise<void> => exchange.respond(412, { 'content-type': 'text/plain' }, 'answered early')

  /**
   * A client that keeps its own receive window shut (SETTINGS_INITIAL_WINDOW_SIZE 0), so that no answer's
   * DATA can reach it, sends a body on one stream for `ms`. Resolves with the body bytes the server let
   * through (write callbacks: node calls them once flow control has let the DATA go) and how the stream ended.
   */
  async function sendWhileReadingNothing(port: number, ms: number): Promise<{ sent: number; rstCode: number | undefined; status: number }> {
    const session = http2.connect(`http://127.0.0.1:${port}`, { settings: { initialWindowSize: 0 } })
    session.on('error', () => {})
    const stream = session.request({ ':method': 'POST', ':path': '/files/' })
    stream.on('error', () => {})
    let sent = 0
    let status = 0
    stream.on('response', (h) => (status = Number(h[':status'])))
    const piece = Buffer.alloc(16 * 1024, 7)
    const pump = (): void => {
      while (!stream.destroyed && stream.write(piece, (error) => (sent += error ? 0 : piece.length)));
    }
    stream.on('drain', pump)
    pump()
    await sleep(ms)
    const outcome = { sent, rstCode: stream.rstCode, status }
    session.destroy()
    return outcome
  }

  it('discards the body as it arrives while the answer waits, rather than holding a window of it', async () => {
    // A 64 KiB stream window: a server that held the unread body would stop the client at about that.
    const server = await startListener(answerAtOnce, { streamWindowSize: 64 * 1024 })
    try {
      const { sent, status } = await sendWhileReadingNothing(server.port, 1_000)
      expect(status).toBe(412)
      expect(sent).toBeGreaterThan(1024 * 1024)
    } finally {
      server.close()
    }
  })

  it('resets the stream once more than the linger bytes were discarded', async () => {
    const unreadBody = { lingerTimeMs: 30_000, lingerIdleMs: 5_000, lingerMaxBytes: 1024 * 1024, drainMaxBytes: 64 * 1024 }
    const server = await startListener(answerAtOnce, { streamWindowSize: 64 * 1024, unreadBody })
    try {
      const { sent, rstCode } = await sendWhileReadingNothing(server.port, 1_000)
      expect(rstCode).toBe(http2.constants.NGHTTP2_CANCEL)
      expect(sent).toBeLessThan(2 * 1024 * 1024)
    } finally {
      server.close()
    }
  })
})
