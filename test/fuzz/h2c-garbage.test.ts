import { stat } from 'node:fs/promises'
import http2, { type ClientHttp2Session, type ClientHttp2Stream } from 'node:http2'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createUpload, internalErrors, offsetOf, startFuzzGateway, type FuzzGateway } from './fuzz-gateway.js'
import { sendRaw } from './raw-http1.js'
import { FrameType, parseFrames, PREFACE } from '../transport/raw-h2.js'

// h2c streams cut short or lying about their length, and connections that are not HTTP/2 after the
// preface. As over HTTP/1.1: no 5xx but the documented 500 for a stalled body, the bytes that arrived are
// kept and HEAD shows them, and the gateway goes on serving.
const NETWORK_TIMEOUT_MS = 300
const PREFACE_TEXT = PREFACE.toString('latin1')

describe('h2c bodies cut short and broken frames', () => {
  let gateway: FuzzGateway
  let collection: string

  beforeAll(async () => {
    gateway = await startFuzzGateway({ networkTimeoutMs: NETWORK_TIMEOUT_MS })
    collection = `${gateway.origin}${gateway.basePath}`
  })
  afterAll(async () => {
    expect(internalErrors(gateway)).toEqual([])
    await gateway?.close()
  })

  /**
   * Opens a PATCH of `path` on a fresh session and writes 10 bytes; `cut` then does what it will with the
   * stream or the session. Resolves with the response status, or 0 when the stream closed unanswered.
   */
  function patchThenCut(path: string, headers: Record<string, string>, cut: (stream: ClientHttp2Stream, session: ClientHttp2Session) => void): Promise<number> {
    return new Promise((resolve) => {
      const session = http2.connect(gateway.origin)
      session.on('error', () => {})
      const stream = session.request({
        ':method': 'PATCH',
        ':path': path,
        'tus-resumable': '1.0.0',
        'content-type': 'application/offset+octet-stream',
        'upload-offset': '0',
        ...headers,
      })
      let status = 0
      stream.on('response', (received) => (status = Number(received[':status'])))
      stream.on('error', () => {})
      stream.resume()
      stream.on('close', () => {
        session.destroy()
        resolve(status)
      })
      // Once the 10 bytes were written out, the cut comes.
      stream.write('abcdefghij', () => cut(stream, session))
    })
  }

  /** Resolves once the data file of the upload at `path` holds `bytes` (read by the gateway: no request that would interrupt it). */
  function whenStored(path: string, bytes: number): Promise<void> {
    const file = join(gateway.uploadDir, path.slice(path.lastIndexOf('/') + 1))
    return expect.poll(() => stat(file).then((stats) => stats.size)).toBe(bytes)
  }

  it('[T-21] keeps the bytes of a stream the client resets mid-body', async () => {
    const path = await createUpload(gateway, 100)
    // The reset comes once the gateway has the bytes (on a busy machine it may take a while to read them:
    // bytes still in node's buffer when a stream is reset are dropped with the stream, before anyone read them).
    await patchThenCut(path, {}, (stream) => void whenStored(path, 10).then(() => stream.close(http2.constants.NGHTTP2_CANCEL)))
    await expect.poll(() => offsetOf(gateway, path)).toBe('10')
  })

  it('[T-21] keeps the bytes of a stream whose session the client drops mid-body', async () => {
    const path = await createUpload(gateway, 100)
    await patchThenCut(path, {}, (_stream, session) => void whenStored(path, 10).then(() => session.destroy()))
    await expect.poll(() => offsetOf(gateway, path)).toBe('10')
  })

  it('[T-21] keeps the bytes of a stream that ends short of its content-length', async () => {
    const path = await createUpload(gateway, 100)
    // The end comes a little later than the bytes, as when a client gives up: bytes in the same read as
    // the protocol error that resets the stream can be dropped by node before anyone reads them.
    await patchThenCut(path, { 'content-length': '50' }, (stream) => setTimeout(() => stream.end(), 50))
    await expect.poll(() => offsetOf(gateway, path)).toBe('10')
  })

  it('[T-20] [T-21] answers a stream that stalls mid-body with 500 after --network-timeout, keeping its bytes', async () => {
    const path = await createUpload(gateway, 100)
    expect(await patchThenCut(path, {}, () => {})).toBe(500)
    expect(await offsetOf(gateway, path)).toBe('10')
  })

  it('answers frames that break HTTP/2 after the preface with GOAWAY, and keeps serving', async () => {
    const garbage = [
      `${PREFACE_TEXT}not a frame at all, just text`,
      // A HEADERS frame (type 1) on stream 1 whose header block is not HPACK.
      `${PREFACE_TEXT}\x00\x00\x04\x01\x05\x00\x00\x00\x01\xff\xff\xff\xff`,
      // DATA (type 0) on stream 1, which was never opened.
      `${PREFACE_TEXT}\x00\x00\x00\x04\x00\x00\x00\x00\x00\x00\x00\x05\x00\x01\x00\x00\x00\x01abcde`,
      // A frame announcing 16 MiB, past the maximum frame size.
      `${PREFACE_TEXT}\x00\x00\x00\x04\x00\x00\x00\x00\x00\xff\xff\xff\x00\x00\x00\x00\x00\x00`,
    ]
    for (const bytes of garbage) {
      const exchange = await sendRaw(gateway.port, [bytes], { waitMs: 1_000 })
      // No HTTP/1.1 answer, let alone a 5xx: the server answers in HTTP/2 frames, ending with GOAWAY.
      expect(exchange.finals).toEqual([])
      const { frames } = parseFrames(Buffer.from(exchange.text, 'latin1'))
      expect(frames.map((frame) => frame.type), JSON.stringify(bytes)).toContain(FrameType.GOAWAY)
    }
    expect((await fetch(collection, { method: 'OPTIONS' })).status).toBe(200)
  })
})
