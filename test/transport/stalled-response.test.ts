import { randomBytes } from 'node:crypto'
import { readdirSync, readlinkSync } from 'node:fs'
import http2 from 'node:http2'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { startGateway, type TestGateway } from '../support/gateway.js'
import { answer, connect, request } from './h2.js'
import { RawConnection } from './raw-connection.js'

// --network-timeout governs silence both ways: a response the client takes nothing of for that long (it
// reads nothing, or keeps its HTTP/2 window at 0) is stopped, and the upload's file it holds open released.
// A download that is slow but goes on is never cut.

const TUS = { 'tus-resumable': '1.0.0' }
const TIMEOUT_MS = 300

/** How many of this process's descriptors are open on `path` (the gateway runs in this process). */
function descriptorsOn(path: string): number {
  let count = 0
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      if (readlinkSync(`/proc/self/fd/${fd}`) === path) count += 1
    } catch {
      // Closed since it was listed.
    }
  }
  return count
}

async function until(condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`not met within ${timeoutMs} ms`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

let gateway: TestGateway
beforeEach(async () => {
  gateway = await startGateway({ networkTimeoutMs: TIMEOUT_MS })
})
afterEach(async () => {
  await gateway.close()
})

/** A finished upload of `bytes`; resolves with its path and its data file. */
async function finishedUpload(bytes: number): Promise<{ path: string; file: string; content: Buffer }> {
  const session = connect(gateway.port)
  try {
    const content = randomBytes(bytes)
    const created = await request(
      session,
      { ':method': 'POST', ':path': gateway.basePath, ...TUS, 'upload-length': String(bytes), 'content-type': 'application/offset+octet-stream' },
      content,
    )
    expect(created.status).toBe(201)
    const path = new URL(created.headers.location as string).pathname
    return { path, file: join(gateway.uploadDir, path.slice(gateway.basePath.length)), content }
  } finally {
    session.close()
  }
}

describe('a response the client takes nothing of', () => {
  it('over HTTP/2 (its window kept at 0) is reset after the network timeout, and the file released', async () => {
    const { path, file } = await finishedUpload(1024 * 1024)
    const session = http2.connect(`http://127.0.0.1:${gateway.port}`, { settings: { initialWindowSize: 0 } })
    session.on('error', () => {})
    try {
      const started = Date.now()
      const streams = Array.from({ length: 10 }, () => answer(session.request({ ':method': 'GET', ':path': path })))
      await until(() => descriptorsOn(file) === 10, 2_000)
      const answers = await Promise.all(streams)
      for (const { status, rstCode } of answers) {
        expect(status).toBe(200)
        expect(rstCode).not.toBe(0)
      }
      expect(Date.now() - started).toBeGreaterThanOrEqual(TIMEOUT_MS)
      await until(() => descriptorsOn(file) === 0, 1_000)
      // Only the streams end, not the session (a request on it would wait for the window too).
      expect(session.closed).toBe(false)
    } finally {
      session.destroy()
    }
  })

  it('over HTTP/1.1 (it reads nothing) closes the connection after the network timeout, and the file released', async () => {
    // Larger than what the socket buffers of both sides take in.
    const { path, file } = await finishedUpload(48 * 1024 * 1024)
    const connection = await RawConnection.open(gateway.port)
    try {
      connection.socket.pause()
      connection.write(`GET ${path} HTTP/1.1\r\nHost: localhost\r\n\r\n`)
      await until(() => descriptorsOn(file) === 1, 2_000)
      const started = Date.now()
      await until(() => descriptorsOn(file) === 0, 2_000)
      expect(Date.now() - started).toBeGreaterThanOrEqual(TIMEOUT_MS / 2)
      // A client that reads again finds the connection closed, its answer cut short.
      connection.socket.resume()
      await connection.closed
      expect(connection.received.length).toBeLessThan(48 * 1024 * 1024)
    } finally {
      connection.close()
    }
  })
})

describe('a download that is slow but goes on', () => {
  it('is never cut, however much longer than the network timeout it takes', async () => {
    const { path, content } = await finishedUpload(384 * 1024)
    // 16 KiB windows, 16 KiB read every 50 ms: about 1.2 s in all, four times the timeout. Progress is a chunk of
    // the file (64 KiB) taken whole: here one every 200 ms, within the timeout.
    const session = http2.connect(`http://127.0.0.1:${gateway.port}`, { settings: { initialWindowSize: 16 * 1024 } })
    session.on('error', () => {})
    try {
      const started = Date.now()
      const stream = session.request({ ':method': 'GET', ':path': path })
      stream.on('error', () => {})
      stream.pause()
      const chunks: Buffer[] = []
      const reader = setInterval(() => {
        let chunk: Buffer | null
        let taken = 0
        while (taken < 16 * 1024 && (chunk = stream.read() as Buffer | null) !== null) {
          chunks.push(chunk)
          taken += chunk.length
        }
      }, 50)
      const rstCode = await new Promise<number>((resolve) => stream.once('close', () => resolve(stream.rstCode ?? 0)))
      clearInterval(reader)
      expect(rstCode).toBe(0)
      expect(Buffer.concat(chunks).equals(content)).toBe(true)
      expect(Date.now() - started).toBeGreaterThan(3 * TIMEOUT_MS)
    } finally {
      session.destroy()
    }
  })
})
