import { subscribe, unsubscribe } from 'node:diagnostics_channel'
import { afterEach, describe, expect, it } from 'vitest'
import type { UploadHooks } from '../../src/core/hooks.js'
import { RAPID_RESET_CHANNEL, RAPID_RESET_LIMIT, type RapidResetReport } from '../../src/transport/http2-reset-guard.js'
import { startGateway, type TestGateway } from '../support/gateway.js'
import { createUpload, send } from '../resilience/tus-http.js'
import { answer, connect } from './h2.js'
import { startListener } from './listener-harness.js'
import { RawConnection } from './raw-connection.js'
import { ErrorCode, errorCode, frame, FrameType, headers, PREFACE, responseStatus, settings, settingsAck } from './raw-h2.js'

// HTTP/2 rapid reset (CVE-2023-44487) at the frame level, against a gateway in this process: HEADERS for a
// HEAD of one upload and RST_STREAM(CANCEL) right behind it, in one packet (issue 10, item 1). The slow
// test (test/resilience/rapid-reset.slow.test.ts) runs the whole attack against a gateway process.

/** RST_STREAM with an error code. */
function reset(streamId: number, code: number): Buffer {
  const payload = Buffer.alloc(4)
  payload.writeUInt32BE(code)
  return frame(FrameType.RST_STREAM, 0, streamId, payload)
}

describe('HTTP/2 rapid reset', () => {
  let gateway: TestGateway | undefined
  afterEach(async () => {
    await gateway?.close()
    gateway = undefined
  })

  /** A gateway counting the requests that reach the upload service (pre-access runs for each), and one upload. */
  async function start(): Promise<{ path: string; routed: () => number }> {
    let routed = 0
    const hooks: UploadHooks = {
      preAccess: async () => {
        routed += 1
      },
    }
    gateway = await startGateway({ hooks })
    const url = await createUpload(`http://127.0.0.1:${gateway.port}${gateway.basePath}`, 10)
    return { path: new URL(url).pathname, routed: () => routed - 1 }
  }

  async function open(port: number): Promise<RawConnection> {
    const connection = await RawConnection.open(port)
    connection.write(Buffer.concat([PREFACE, settings()]))
    await connection.frame((f) => f.type === FrameType.SETTINGS && (f.flags & 1) === 0)
    connection.write(settingsAck())
    return connection
  }

  const head = (streamId: number, path: string, endStream = true): Buffer =>
    headers(streamId, [[':method', 'HEAD'], [':scheme', 'http'], [':authority', 'localhost'], [':path', path], ['tus-resumable', '1.0.0']], endStream)

  it('never routes a request whose stream was reset in the packet that opened it', async () => {
    const { path, routed } = await start()
    const connection = await open((gateway as TestGateway).port)
    // One packet per stream: HEADERS and RST_STREAM arrive together.
    for (let id = 1; id <= 99; id += 2) connection.write(Buffer.concat([head(id, path), reset(id, ErrorCode.CANCEL)]))
    connection.write(head(101, path))
    const answered = await connection.frame((f) => f.type === FrameType.HEADERS && f.streamId === 101)
    expect(responseStatus(answered)).toBe(200)
    expect(routed()).toBe(1)
    connection.close()
  })

  it('hands the listener\'s handler no request whose stream was reset by the time node emits it (a whole first packet)', async () => {
    let handled = 0
    const listener = await startListener(async (exchange) => {
      handled += 1
      await exchange.respond(204, {})
    })
    try {
      const connection = await RawConnection.open(listener.port)
      // Preface, SETTINGS, 50 pairs and a last HEAD in the connection's first packet: node reads all of it
      // before it emits a single request.
      const pairs: Buffer[] = []
      for (let id = 1; id <= 99; id += 2) pairs.push(head(id, '/files/x'), reset(id, ErrorCode.CANCEL))
      connection.write(Buffer.concat([PREFACE, settings(), ...pairs, head(101, '/files/x')]))
      const answered = await connection.frame((f) => f.type === FrameType.HEADERS && f.streamId === 101)
      expect(responseStatus(answered)).toBe(204)
      expect(handled).toBe(1)
      connection.close()
    } finally {
      listener.close()
    }
  })

  it(`closes a connection whose client resets more than ${RAPID_RESET_LIMIT.burst} streams at once, with GOAWAY(ENHANCE_YOUR_CALM), and reports it`, async () => {
    const { path } = await start()
    const port = (gateway as TestGateway).port
    const reports: RapidResetReport[] = []
    const listener = (message: unknown): void => void reports.push(message as RapidResetReport)
    subscribe(RAPID_RESET_CHANNEL, listener)
    try {
      const connection = await open(port)
      const pairs: Buffer[] = []
      for (let i = 0; i < RAPID_RESET_LIMIT.burst + 50; i++) pairs.push(head(2 * i + 1, path), reset(2 * i + 1, ErrorCode.CANCEL))
      connection.write(Buffer.concat(pairs))
      const goaway = await connection.frame((f) => f.type === FrameType.GOAWAY)
      expect(errorCode(goaway)).toBe(ErrorCode.ENHANCE_YOUR_CALM)
      await connection.closed
      expect(reports).toEqual([expect.objectContaining({ localPort: port, remoteAddress: '127.0.0.1' })])
      // The bucket refills while the streams are read: the limit bites a little after the burst.
      expect(reports[0]?.resets).toBeGreaterThan(RAPID_RESET_LIMIT.burst)
      expect(reports[0]?.resets).toBeLessThanOrEqual(RAPID_RESET_LIMIT.burst + 50)
      // Everyone else is served as before.
      const session = connect(port)
      expect((await answer(session.request({ ':method': 'HEAD', ':path': path, 'tus-resumable': '1.0.0' }))).status).toBe(200)
      session.destroy()
    } finally {
      unsubscribe(RAPID_RESET_CHANNEL, listener)
    }
  })

  it('keeps a connection whose client cancels streams as clients do, and counts no stream reset after its answer began', async () => {
    const { path } = await start()
    const port = (gateway as TestGateway).port
    const url = `http://127.0.0.1:${port}${path}`
    const session = connect(port)
    // Half the burst, reset before their answer (a page cancelling its uploads) ...
    const cancelled = Array.from({ length: RAPID_RESET_LIMIT.burst / 2 }, () => {
      const stream = session.request({ ':method': 'HEAD', ':path': path, 'tus-resumable': '1.0.0' })
      const closed = answer(stream)
      stream.close(ErrorCode.CANCEL)
      return closed
    })
    await Promise.all(cancelled)
    // ... and many more reset while their answer streams (a client leaving downloads): these do not count.
    const download = await createUpload(`http://127.0.0.1:${port}${(gateway as TestGateway).basePath}`, 1024 * 1024)
    await send('PATCH', download, { 'upload-offset': '0', 'content-type': 'application/offset+octet-stream' }, Buffer.alloc(1024 * 1024, 7))
    for (let i = 0; i < RAPID_RESET_LIMIT.burst; i++) {
      const stream = session.request({ ':method': 'GET', ':path': new URL(download).pathname })
      const closed = answer(stream)
      await new Promise<void>((resolve) => stream.once('response', () => resolve()))
      stream.close(ErrorCode.CANCEL)
      expect((await closed).body.length).toBeLessThan(1024 * 1024)
    }
    expect((await answer(session.request({ ':method': 'HEAD', ':path': path, 'tus-resumable': '1.0.0' }))).status).toBe(200)
    expect(session.destroyed).toBe(false)
    session.destroy()
    expect((await send('HEAD', url)).status).toBe(200)
  })
})
