import { randomBytes } from 'node:crypto'
import { constants, type ClientHttp2Session } from 'node:http2'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { startGateway, type TestGateway } from '../support/gateway.js'
import { idOf, waitForStoredBytes } from '../resilience/tus-http.js'
import { answer, connect, request, writeChunks } from './h2.js'

// Many uploads share one HTTP/2 connection; what happens to one stream (a release, a reset, an
// early answer) ends that stream only, never the session.

const TUS = { 'tus-resumable': '1.0.0' }
const PATCH = { ':method': 'PATCH', ...TUS, 'content-type': 'application/offset+octet-stream' }

let gateway: TestGateway
let session: ClientHttp2Session
beforeEach(async () => {
  gateway = await startGateway()
  session = connect(gateway.port)
})
afterEach(async () => {
  session.destroy()
  await gateway.close()
})

async function create(length: number): Promise<string> {
  const created = await request(session, { ':method': 'POST', ':path': gateway.basePath, ...TUS, 'upload-length': String(length) })
  expect(created.status).toBe(201)
  return created.headers.location as string
}

describe('one HTTP/2 connection', () => {
  it('carries 8 concurrent uploads to completion, each byte-identical', async () => {
    const contents = Array.from({ length: 8 }, (_, i) => randomBytes(1024 * 1024 + i * 400 * 1024 + 7))
    const locations = await Promise.all(contents.map((content) => create(content.length)))
    // All eight bodies are written at once in 64 KiB chunks, so their DATA frames interleave.
    const patched = await Promise.all(
      contents.map(async (content, i) => {
        const stream = session.request({ ...PATCH, ':path': new URL(locations[i] as string).pathname, 'upload-offset': '0' })
        const answered = answer(stream)
        await writeChunks(stream, content, 64 * 1024, true)
        return answered
      }),
    )
    expect(patched.map((p) => p.status)).toEqual(Array(8).fill(204))
    expect(patched.map((p) => p.headers['upload-offset'])).toEqual(contents.map((c) => String(c.length)))
    const downloads = await Promise.all(locations.map((l) => request(session, { ':method': 'GET', ':path': new URL(l).pathname })))
    downloads.forEach((download, i) => {
      expect(download.status).toBe(200)
      expect(download.body.equals(contents[i] as Buffer), `upload ${i} is byte-identical`).toBe(true)
    })
    expect(session.closed || session.destroyed).toBe(false)
  })

  it('releases a stalled PATCH stream when a HEAD arrives on another stream, and stays usable', async () => {
    const content = randomBytes(512 * 1024)
    const sent = 200 * 1024
    const location = await create(content.length)
    const path = new URL(location).pathname
    const stalled = session.request({ ...PATCH, ':path': path, 'upload-offset': '0' })
    const stalledAnswer = answer(stalled)
    // Part of the body, then nothing: the stream stays open, as a client whose network dropped.
    await writeChunks(stalled, content.subarray(0, sent), 16 * 1024, false)
    await waitForStoredBytes(gateway.uploadDir, idOf(location), sent)

    const status = await request(session, { ':method': 'HEAD', ':path': path, ...TUS })
    expect(status.status).toBe(200)
    expect(status.headers['upload-offset']).toBe(String(sent))
    // The stalled stream got its answer (tus: interrupted, bytes kept) and was closed, alone.
    const released = await stalledAnswer
    expect(released.status).toBe(400)
    expect([constants.NGHTTP2_NO_ERROR, constants.NGHTTP2_CANCEL]).toContain(released.rstCode)

    // The same session finishes the upload.
    const resumed = await request(session, { ...PATCH, ':path': path, 'upload-offset': String(sent) }, content.subarray(sent))
    expect(resumed.status).toBe(204)
    const download = await request(session, { ':method': 'GET', ':path': path })
    expect(download.body.equals(content)).toBe(true)
  })

  it('keeps the session and the other uploads going when the client resets one stream', async () => {
    const [a, b] = [randomBytes(2 * 1024 * 1024), randomBytes(2 * 1024 * 1024)]
    const [locationA, locationB] = await Promise.all([create(a.length), create(b.length)])
    const streamA = session.request({ ...PATCH, ':path': new URL(locationA).pathname, 'upload-offset': '0' })
    const answerA = answer(streamA)
    await writeChunks(streamA, a.subarray(0, 300 * 1024), 32 * 1024, false)
    await waitForStoredBytes(gateway.uploadDir, idOf(locationA), 300 * 1024)
    streamA.close(constants.NGHTTP2_CANCEL)
    await answerA

    const finished = await request(session, { ...PATCH, ':path': new URL(locationB).pathname, 'upload-offset': '0' }, b)
    expect(finished.status).toBe(204)
    // The reset upload kept what arrived before the reset, and resumes on the same session.
    const status = await request(session, { ':method': 'HEAD', ':path': new URL(locationA).pathname, ...TUS })
    expect(status.headers['upload-offset']).toBe(String(300 * 1024))
    const resumed = await request(session, { ...PATCH, ':path': new URL(locationA).pathname, 'upload-offset': String(300 * 1024) }, a.subarray(300 * 1024))
    expect(resumed.status).toBe(204)
  })

  it('answers one stream early (413) with RST_STREAM(NO_ERROR) while another stream keeps uploading', async () => {
    const small = await create(10)
    const big = randomBytes(3 * 1024 * 1024)
    const bigLocation = await create(big.length)
    const bigStream = session.request({ ...PATCH, ':path': new URL(bigLocation).pathname, 'upload-offset': '0' })
    const bigAnswer = answer(bigStream)
    const uploading = writeChunks(bigStream, big, 64 * 1024, true)
    // 8 MiB announced for an upload of 10 bytes: refused before its body is read. The body is larger
    // than the stream window, so the client is still sending when the answer comes.
    const tooLarge = session.request({
      ...PATCH,
      ':path': new URL(small).pathname,
      'upload-offset': '0',
      'content-length': String(8 * 1024 * 1024),
    })
    const tooLargeAnswer = answer(tooLarge)
    void writeChunks(tooLarge, randomBytes(8 * 1024 * 1024), 64 * 1024, true)
    const refused = await tooLargeAnswer
    expect(refused.status).toBe(413)
    expect(refused.rstCode).toBe(constants.NGHTTP2_NO_ERROR)
    await uploading
    expect((await bigAnswer).status).toBe(204)
    expect(session.destroyed).toBe(false)
  })
})
