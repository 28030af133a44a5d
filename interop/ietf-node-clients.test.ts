import { createHash, randomBytes } from 'node:crypto'
import http2 from 'node:http2'
import type { Readable } from 'node:stream'
import { Client } from 'undici'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startGateway, type TestGateway } from '../test/support/gateway.js'

const sha256 = (data: Uint8Array): string => createHash('sha256').update(data).digest('hex')
const MiB = 1024 * 1024

interface Info {
  readonly status: number
  readonly headers: Record<string, string>
}

/**
 * A body of `data` in 64 KiB pieces that pauses after the first MiB until the gateway has reported
 * progress past it (`progressSeen`), so that progress 104s are certain to be sent.
 */
async function* pausingBody(data: Buffer, progressSeen: Promise<void>): AsyncGenerator<Buffer> {
  for (let start = 0; start < data.length; start += 64 * 1024) {
    if (start === MiB) await progressSeen
    yield data.subarray(start, start + 64 * 1024)
  }
}

function progressWatch(): { seen: Promise<void>; inspect: (info: Info) => void } {
  let resolve: () => void = () => {}
  const seen = new Promise<void>((done) => (resolve = done))
  return { seen, inspect: (info) => Number(info.headers['upload-offset'] ?? 0) >= MiB && resolve() }
}

/** What every creation must have shown: the 104 with Location first, then progress 104s without it. */
function expectEvery104(infos: readonly Info[], location: string | undefined, version: string): void {
  const [announce, ...progress] = infos
  expect(announce).toMatchObject({ status: 104, headers: { location, 'upload-draft-interop-version': version } })
  expect(progress.length).toBeGreaterThan(0)
  for (const report of progress) {
    expect(report.status).toBe(104)
    expect(report.headers.location).toBeUndefined()
    expect(report.headers['upload-draft-interop-version']).toBe(version)
  }
  const offsets = progress.map((report) => Number(report.headers['upload-offset']))
  expect(offsets).toEqual([...offsets].sort((a, b) => a - b))
}

describe('Node clients see every 104', () => {
  let gateway: TestGateway
  let origin: string
  beforeAll(async () => {
    gateway = await startGateway({ experimentalProtocol: true, progressIntervalMs: 20 })
    origin = `http://127.0.0.1:${gateway.port}`
  })
  afterAll(() => gateway.close())

  it('[R-30] [R-37] undici (HTTP/1.1, onInfo) sees the creation 104 and the progress 104s; the bytes arrive intact', async () => {
    const data = randomBytes(3 * MiB)
    const client = new Client(origin)
    const infos: Info[] = []
    const watch = progressWatch()
    const response = await client.request({
      method: 'POST',
      path: gateway.basePath,
      headers: { 'upload-draft-interop-version': '8', 'upload-complete': '?1', 'upload-length': String(data.length) },
      // undici sends async iterables as they come, but its types leave them out of `body`.
      body: pausingBody(data, watch.seen) as unknown as Readable,
      onInfo: ({ statusCode, headers }) => {
        const info = { status: statusCode, headers: headers as Record<string, string> }
        infos.push(info)
        watch.inspect(info)
      },
    })
    await response.body.dump()
    expect(response.statusCode).toBe(201)
    expectEvery104(infos, response.headers.location as string, '8')
    const downloaded = await client.request({ method: 'GET', path: new URL(response.headers.location as string).pathname })
    expect(sha256(Buffer.from(await downloaded.body.arrayBuffer()))).toBe(sha256(data))
    await client.close()
  })

  it('[R-30] [R-37] node:http2 (h2c, "headers" events) sees the creation 104 and the progress 104s; the bytes arrive intact', async () => {
    const data = randomBytes(3 * MiB)
    const session = http2.connect(origin)
    const infos: Info[] = []
    const watch = progressWatch()
    const stream = session.request({
      ':method': 'POST',
      ':path': gateway.basePath,
      'upload-draft-interop-version': '6',
      'upload-complete': '?1',
    })
    stream.on('headers', (headers) => {
      const info = { status: Number(headers[':status']), headers: headers as Record<string, string> }
      infos.push(info)
      watch.inspect(info)
    })
    const final = new Promise<http2.IncomingHttpHeaders>((resolve) => stream.on('response', resolve))
    for await (const chunk of pausingBody(data, watch.seen)) {
      if (!stream.write(chunk)) await new Promise((drained) => stream.once('drain', drained))
    }
    stream.end()
    const headers = await final
    stream.resume()
    expect(headers[':status']).toBe(201)
    expectEvery104(infos, headers.location, '6')
    const download = session.request({ ':method': 'GET', ':path': new URL(String(headers.location)).pathname })
    const chunks: Buffer[] = []
    for await (const chunk of download) chunks.push(chunk as Buffer)
    expect(sha256(Buffer.concat(chunks))).toBe(sha256(data))
    session.close()
  })
})
