import { mkdtemp, rm } from 'node:fs/promises'
import http from 'node:http'
import http2 from 'node:http2'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pino } from 'pino'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createGateway, type Gateway } from '../../src/gateway.js'
import { createUpload, head, idOf, openPatch, patch, send, waitForStoredBytes, type PatchEnd } from './tus-http.js'

// A client whose connection dropped without a FIN (Wi-Fi gone, laptop lid closed) leaves its PATCH open on
// the server. When it comes back and asks for the offset, it must get an answer at once, with every byte
// the gateway received: the lock asks the stalled PATCH to release, it stores what arrived and lets go.
// Both timeouts are set far beyond the test's own, so no timeout can be what answers.

const HOUR = 3_600_000

/**
 * What the stalled PATCH's client sees (if it is still there): 400 saying how many bytes are stored, as
 * tusd answers, and the connection closed, since the rest of the body will not be read.
 */
function expectInterrupted(end: PatchEnd, stored: number): void {
  expect(end).toMatchObject({ status: 400, headers: { connection: 'close' } })
  expect((end as { body: string }).body).toContain(`interrupted by a newer request for it; ${stored} bytes are stored`)
}

describe('a request for an upload interrupts a stalled PATCH', () => {
  let uploadDir: string
  let gateway: Gateway
  let collection: string

  beforeEach(async () => {
    uploadDir = await mkdtemp(join(tmpdir(), 'rg-lock-'))
    gateway = await createGateway({
      host: '127.0.0.1',
      port: 0,
      uploadDir,
      networkTimeoutMs: HOUR,
      acquireLockTimeoutMs: HOUR,
      logger: pino({ level: 'silent' }),
    })
    collection = await gateway.listen()
  })
  afterEach(async () => {
    await gateway.close()
    await rm(uploadDir, { recursive: true, force: true })
  })

  it('[T-20, T-21] a HEAD from a second connection gets the offset of the bytes received, over HTTP/1.1', async () => {
    const url = await createUpload(collection, 1000)
    const stalled = openPatch(url, 0, 1000)
    await stalled.write(Buffer.alloc(300, 'a'))
    await waitForStoredBytes(uploadDir, idOf(url), 300)

    const reply = await head(url)
    expect(reply.status).toBe(200)
    expect(reply.headers['upload-offset']).toBe('300')
    expectInterrupted(await stalled.ended, 300)
    stalled.request.destroy()
  })

  it('[T-20, T-21] a HEAD on the same HTTP/2 connection gets the offset of the bytes received', async () => {
    const url = await createUpload(collection, 1000)
    const session = http2.connect(new URL(collection).origin)
    try {
      const stalled = session.request({
        ':method': 'PATCH',
        ':path': new URL(url).pathname,
        'tus-resumable': '1.0.0',
        'upload-offset': '0',
        'content-type': 'application/offset+octet-stream',
        'content-length': '1000',
      })
      const stalledStatus = new Promise<number>((resolve) => {
        stalled.once('response', (headers) => resolve(Number(headers[':status'])))
        stalled.once('close', () => resolve(0))
        stalled.once('error', () => resolve(0))
      })
      stalled.write(Buffer.alloc(250, 'b'))
      await waitForStoredBytes(uploadDir, idOf(url), 250)

      const headStream = session.request({ ':method': 'HEAD', ':path': new URL(url).pathname, 'tus-resumable': '1.0.0' })
      const headers = await new Promise<http2.IncomingHttpHeaders>((resolve, reject) => {
        headStream.once('response', resolve)
        headStream.once('error', reject)
      })
      headStream.resume()
      expect(headers[':status']).toBe(200)
      expect(headers['upload-offset']).toBe('250')
      // The stalled stream is answered 400 (interrupted), then reset: the rest of its body is not wanted.
      expect(await stalledStatus).toBe(400)
      // The connection itself stays usable.
      const again = session.request({ ':method': 'HEAD', ':path': new URL(url).pathname, 'tus-resumable': '1.0.0' })
      const againHeaders = await new Promise<http2.IncomingHttpHeaders>((resolve, reject) => {
        again.once('response', resolve)
        again.once('error', reject)
      })
      again.resume()
      expect(againHeaders['upload-offset']).toBe('250')
    } finally {
      session.destroy()
    }
  })

  it('[T-49] a DELETE interrupts a stalled PATCH, answers 204, and the upload is gone', async () => {
    const url = await createUpload(collection, 1000)
    const stalled = openPatch(url, 0, 1000)
    await stalled.write(Buffer.alloc(100, 'c'))
    await waitForStoredBytes(uploadDir, idOf(url), 100)

    expect((await send('DELETE', url)).status).toBe(204)
    expectInterrupted(await stalled.ended, 100)
    expect((await head(url)).status).toBe(404)
    stalled.request.destroy()
  })

  it('[T-17] a client resuming with a new PATCH continues from the bytes its stalled PATCH stored', async () => {
    const url = await createUpload(collection, 10)
    const stalled = openPatch(url, 0, 10)
    await stalled.write(Buffer.from('01234'))
    await waitForStoredBytes(uploadDir, idOf(url), 5)

    const resumed = await patch(url, 5, Buffer.from('56789'))
    expect(resumed.status).toBe(204)
    expect(resumed.headers['upload-offset']).toBe('10')
    expectInterrupted(await stalled.ended, 5)
    stalled.request.destroy()
    const download = await send('GET', url)
    expect(download.body).toBe('0123456789')
  })

  it('answers every one of several HEADs queued behind a stalled PATCH', async () => {
    const url = await createUpload(collection, 1000)
    const stalled = openPatch(url, 0, 1000)
    await stalled.write(Buffer.alloc(42, 'd'))
    await waitForStoredBytes(uploadDir, idOf(url), 42)

    const replies = await Promise.all([head(url), head(url), head(url), head(url)])
    expect(replies.map((reply) => reply.headers['upload-offset'])).toEqual(['42', '42', '42', '42'])
    expectInterrupted(await stalled.ended, 42)
    stalled.request.destroy()
  })

  it('does not hold the lock for a whole download: a HEAD is answered while a client is slow to read', async () => {
    const size = 32 * 1024 * 1024
    const url = await createUpload(collection, size)
    expect((await patch(url, 0, Buffer.alloc(size, 'e'))).status).toBe(204)
    const download = await new Promise<http.IncomingMessage>((resolve, reject) => {
      http.get(url, { agent: false }, resolve).once('error', reject)
    })
    download.pause()
    const reply = await head(url)
    expect(reply).toMatchObject({ status: 200, headers: { 'upload-offset': String(size) } })
    download.destroy()
  })
})
