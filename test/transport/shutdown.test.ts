import { randomBytes } from 'node:crypto'
import { constants } from 'node:http2'
import { afterEach, beforeEach, expect, it } from 'vitest'
import { startGateway, type TestGateway } from '../support/gateway.js'
import { idOf, waitForStoredBytes } from '../resilience/tus-http.js'
import { answer, connect, request, writeChunks } from './h2.js'
import { RawConnection } from './raw-connection.js'

// gateway.close(): HTTP/2 sessions get GOAWAY at once (no new streams), in-flight uploads on every
// version save what arrived and answer 503, then the connections close.

const TUS = { 'tus-resumable': '1.0.0' }
const PATCH = { ':method': 'PATCH', ...TUS, 'content-type': 'application/offset+octet-stream' }

let gateway: TestGateway
beforeEach(async () => {
  gateway = await startGateway()
})
afterEach(async () => {
  await gateway.close()
})

it('sends GOAWAY, lets in-flight HTTP/2 and HTTP/1.1 uploads answer 503 with their bytes saved, and refuses new streams', async () => {
  const session = connect(gateway.port)
  const create = async (): Promise<string> =>
    (await request(session, { ':method': 'POST', ':path': gateway.basePath, ...TUS, 'upload-length': String(1024 * 1024) })).headers
      .location as string
  const [h2Location, h2Other, h1Location] = await Promise.all([create(), create(), create()])

  // Two HTTP/2 uploads on one session and one HTTP/1.1 upload, each stalled after part of its body.
  const h2Streams = [h2Location, h2Other].map((location) => session.request({ ...PATCH, ':path': new URL(location).pathname, 'upload-offset': '0' }))
  const h2Answers = h2Streams.map((stream) => answer(stream))
  await Promise.all(h2Streams.map((stream) => writeChunks(stream, randomBytes(300 * 1024), 16 * 1024, false)))
  const h1 = await RawConnection.open(gateway.port)
  h1.write(
    `PATCH ${new URL(h1Location).pathname} HTTP/1.1\r\nHost: 127.0.0.1\r\nTus-Resumable: 1.0.0\r\n` +
      `Content-Type: application/offset+octet-stream\r\nUpload-Offset: 0\r\nContent-Length: ${1024 * 1024}\r\n\r\n`,
  )
  h1.write(randomBytes(200 * 1024))
  await Promise.all([
    waitForStoredBytes(gateway.uploadDir, idOf(h2Location), 300 * 1024),
    waitForStoredBytes(gateway.uploadDir, idOf(h2Other), 300 * 1024),
    waitForStoredBytes(gateway.uploadDir, idOf(h1Location), 200 * 1024),
  ])

  const goaway = new Promise<number>((resolve) => session.once('goaway', (code: number) => resolve(code)))
  const closed = gateway.gateway.close()
  expect(await goaway).toBe(constants.NGHTTP2_NO_ERROR)

  const answers = await Promise.all(h2Answers)
  expect(answers.map((a) => a.status)).toEqual([503, 503])
  expect(await h1.text((t) => t.includes('\r\n\r\n'))).toMatch(/^HTTP\/1\.1 503 [^]*connection: close/i)
  // After GOAWAY, the session takes no new stream.
  expect(() => session.request({ ':method': 'OPTIONS', ':path': gateway.basePath })).toThrow(/GOAWAY|closed|destroyed/i)
  await closed
  await h1.closed

  // A new gateway on the same directory sees every byte that arrived before the shutdown.
  const restarted = await startGateway({ uploadDir: gateway.uploadDir })
  const check = connect(restarted.port)
  try {
    const offsets = await Promise.all(
      [h2Location, h2Other, h1Location].map(async (location) => {
        const status = await request(check, { ':method': 'HEAD', ':path': new URL(location).pathname, ...TUS })
        return Number(status.headers['upload-offset'])
      }),
    )
    expect(offsets).toEqual([300 * 1024, 300 * 1024, 200 * 1024])
  } finally {
    check.destroy()
    await restarted.close()
  }
})
