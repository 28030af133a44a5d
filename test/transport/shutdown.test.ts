import { execFile } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { constants } from 'node:http2'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, expect, it } from 'vitest'
import { startGateway, type TestGateway } from '../support/gateway.js'
import { createUpload, idOf, waitForStoredBytes } from '../resilience/tus-http.js'
import { answer, connect, request, writeChunks } from './h2.js'
import { RawConnection } from './raw-connection.js'

// gateway.close(): HTTP/2 sessions get GOAWAY at once (no new streams), but one with an upload in flight only
// once the client has read its 503 and stopped sending; in-flight uploads on every version save what arrived
// and answer 503, then the connections close.

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
  const idleSession = connect(gateway.port)
  expect((await request(idleSession, { ':method': 'OPTIONS', ':path': gateway.basePath })).status).toBe(200)
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
  const idleGoaway = new Promise<number>((resolve) => idleSession.once('goaway', (code: number) => resolve(code)))
  const closed = gateway.gateway.close()
  // A session without an upload in flight gets GOAWAY at once.
  expect(await idleGoaway).toBe(constants.NGHTTP2_NO_ERROR)

  // The uploads' 503s come without a reset and without GOAWAY before them; a client stops sending once it has
  // read its answer (curl cancels its stream), and then its session gets GOAWAY.
  const statuses = await Promise.all(h2Streams.map((stream) => new Promise<number>((resolve) => stream.once('response', (headers) => resolve(Number(headers[':status']))))))
  expect(statuses).toEqual([503, 503])
  for (const stream of h2Streams) stream.close(constants.NGHTTP2_CANCEL)
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

// curl 7.88 (Debian 12's) still sending its body loses an answer that comes after GOAWAY or together with its
// RST_STREAM: it exited 18 (or 92), status 000, though the gateway had sent the 503.
it.each([
  ['HTTP/1.1', '--http1.1'],
  ['h2c', '--http2-prior-knowledge'],
])('answers an in-flight upload of curl over %s 503 on shutdown, and curl reads it', async (_name, version) => {
  const workDir = await mkdtemp(join(tmpdir(), 'rg-shutdown-curl-'))
  try {
    const file = join(workDir, 'upload.bin')
    await writeFile(file, randomBytes(5_000_000))
    const url = await createUpload(`http://127.0.0.1:${gateway.port}${gateway.basePath}`, 5_000_000)
    const curl = new Promise<{ code: number; stdout: string }>((resolve) => {
      const args = ['-s', '-o', join(workDir, 'body'), '-w', '%{http_code}', version, '--limit-rate', '500K', '-X', 'PATCH', url]
      const headers = ['Tus-Resumable: 1.0.0', 'Content-Type: application/offset+octet-stream', 'Upload-Offset: 0']
      execFile('curl', [...args, ...headers.flatMap((header) => ['-H', header]), '--data-binary', `@${file}`], { timeout: 30_000 }, (error, stdout) =>
        resolve({ code: error === null ? 0 : Number(error.code), stdout }),
      )
    })
    await waitForStoredBytes(gateway.uploadDir, idOf(url), 300 * 1024)
    await gateway.gateway.close()
    const reply = await curl
    expect(reply).toEqual({ code: 0, stdout: '503' })
  } finally {
    await rm(workDir, { recursive: true, force: true })
  }
})
