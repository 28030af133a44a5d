import http2, { type ClientHttp2Session, type ClientHttp2Stream } from 'node:http2'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { internalErrors, startFuzzGateway, type FuzzGateway } from './fuzz-gateway.js'
import { sendRaw } from './raw-http1.js'

// h2c streams cut short or lying about their length, and connections that are not HTTP/2 after the
// preface. As over HTTP/1.1: no 5xx but the documented 500 for a stalled body, the bytes that arrived are
// kept and HEAD shows them, and the gateway goes on serving.
const NETWORK_TIMEOUT_MS = 300
const PREFACE = 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'
const GOAWAY = 0x7

/** The types of the HTTP/2 frames in `bytes` (RFC 9113 §4.1: 3 bytes length, 1 type, 1 flags, 4 stream). */
function frameTypes(bytes: Buffer): number[] {
  const types: number[] = []
  for (let at = 0; at + 9 <= bytes.length; at += 9 + bytes.readUIntBE(at, 3)) types.push(bytes[at + 3] ?? -1)
  return types
}

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

  async function create(length: number): Promise<string> {
    const response = await fetch(collection, { method: 'POST', headers: { 'tus-resumable': '1.0.0', 'upload-length': String(length) } })
    expect(response.status).toBe(201)
    return new URL(response.headers.get('location') ?? '').pathname
  }

  async function offsetOf(path: string): Promise<string | null> {
    const response = await fetch(`${gateway.origin}${path}`, { method: 'HEAD', headers: { 'tus-resumable': '1.0.0' } })
    expect(response.status).toBe(200)
    return response.headers.get('upload-offset')
  }

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

  it('[T-21] keeps the bytes of a stream the client resets mid-body', async () => {
    const path = await create(100)
    await patchThenCut(path, {}, (stream) => setTimeout(() => stream.close(http2.constants.NGHTTP2_CANCEL), 50))
    await expect.poll(() => offsetOf(path)).toBe('10')
  })

  it('[T-21] keeps the bytes of a stream whose session the client drops mid-body', async () => {
    const path = await create(100)
    await patchThenCut(path, {}, (_stream, session) => setTimeout(() => session.destroy(), 50))
    await expect.poll(() => offsetOf(path)).toBe('10')
  })

  it('[T-21] keeps the bytes of a stream that ends short of its content-length', async () => {
    const path = await create(100)
    // The end comes a little later than the bytes, as when a client gives up: bytes in the same read as
    // the protocol error that resets the stream can be dropped by node before anyone reads them.
    await patchThenCut(path, { 'content-length': '50' }, (stream) => setTimeout(() => stream.end(), 50))
    await expect.poll(() => offsetOf(path)).toBe('10')
  })

  it('[T-20] [T-21] answers a stream that stalls mid-body with 500 after --network-timeout, keeping its bytes', async () => {
    const path = await create(100)
    expect(await patchThenCut(path, {}, () => {})).toBe(500)
    expect(await offsetOf(path)).toBe('10')
  })

  it('answers frames that break HTTP/2 after the preface with GOAWAY, and keeps serving', async () => {
    const garbage = [
      `${PREFACE}not a frame at all, just text`,
      // A HEADERS frame (type 1) on stream 1 whose header block is not HPACK.
      `${PREFACE}\x00\x00\x04\x01\x05\x00\x00\x00\x01\xff\xff\xff\xff`,
      // DATA (type 0) on stream 1, which was never opened.
      `${PREFACE}\x00\x00\x00\x04\x00\x00\x00\x00\x00\x00\x00\x05\x00\x01\x00\x00\x00\x01abcde`,
      // A frame announcing 16 MiB, past the maximum frame size.
      `${PREFACE}\x00\x00\x00\x04\x00\x00\x00\x00\x00\xff\xff\xff\x00\x00\x00\x00\x00\x00`,
    ]
    for (const bytes of garbage) {
      const exchange = await sendRaw(gateway.port, [bytes], { waitMs: 1_000 })
      // No HTTP/1.1 answer, let alone a 5xx: the server answers in HTTP/2 frames, ending with GOAWAY.
      expect(exchange.finals).toEqual([])
      expect(frameTypes(Buffer.from(exchange.text, 'latin1')), JSON.stringify(bytes)).toContain(GOAWAY)
    }
    expect((await fetch(collection, { method: 'OPTIONS' })).status).toBe(200)
  })
})
