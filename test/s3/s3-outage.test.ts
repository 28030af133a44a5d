import { createHash } from 'node:crypto'
import { afterAll, beforeAll, expect, it, onTestFinished } from 'vitest'
import { pseudoRandomBytes } from '../../src/store/conformance/support.js'
import type { S3Store } from '../../src/store/s3/s3-store.js'
import { startGateway, type TestGateway } from '../support/gateway.js'
import { describeWithServer } from '../servers/availability.js'
import { idOf, openPatch, send } from '../resilience/tus-http.js'
import { freshBucket, KiB, openStore, radosgwWithSmallParts, waitForParts } from './s3-support.js'

const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex')
const PATCH = { 'content-type': 'application/offset+octet-stream' }

// S3 stopped or silent: the client gets 503 with Retry-After (never the internal error), and no byte a
// 2xx acknowledged is lost. These tests stop their own radosgw, so they run on a cluster of their own.
describeWithServer('the gateway while S3 is down (radosgw stopped or paused)', radosgwWithSmallParts(), (server) => {
  let bucket: string
  let store: S3Store
  let gateway: TestGateway
  let collection: string

  beforeAll(async () => {
    bucket = await freshBucket(server())
    // Quick to give up, so that a silent S3 answers within seconds.
    store = await openStore(server(), bucket, { socketTimeoutMs: 1000, requestTimeoutMs: 2500, maxAttempts: 2 })
    gateway = await startGateway({ store, experimentalProtocol: true })
    collection = `http://127.0.0.1:${gateway.port}${gateway.basePath}`
  })
  afterAll(async () => {
    server().resume()
    await gateway?.close()
    await store?.close()
    // The bucket stays: after a restart radosgw deletes a bucket only once the old process's watches time
    // out (~30 s), and the whole cluster is removed with the server anyway.
  })

  async function create(length: number): Promise<string> {
    const reply = await send('POST', collection, { 'upload-length': String(length) })
    expect(reply.status, reply.body).toBe(201)
    return new URL(reply.headers.location ?? '', collection).href
  }

  function expect503(reply: { status: number; headers: Record<string, unknown>; body: string }): void {
    expect(reply.status, reply.body).toBe(503)
    expect(reply.headers['retry-after']).toBe('5')
    // The reason stays in the log: nothing of S3 (addresses, error codes) reaches the client.
    expect(reply.body).not.toMatch(/ECONNREFUSED|127\.0\.0\.1|radosgw|S3|Error:/)
  }

  it('[T-21] answers 503 with Retry-After for every request while S3 is stopped, and loses no acknowledged byte', async () => {
    const data = pseudoRandomBytes(500 * KiB, 41)
    const url = await create(data.length)
    expect((await send('PATCH', url, { ...PATCH, 'upload-offset': '0' }, data.subarray(0, 200 * KiB))).status).toBe(204)
    await server().stopGateway()
    try {
      expect503(await send('HEAD', url))
      expect503(await send('PATCH', url, { ...PATCH, 'upload-offset': String(200 * KiB) }, data.subarray(200 * KiB, 300 * KiB)))
      expect503(await send('POST', collection, { 'upload-length': '10' }))
      expect503(await send('GET', url))
      const draftHead = await send('HEAD', url, { 'upload-draft-interop-version': '8' })
      expect(draftHead.status).toBe(503)
      expect(draftHead.headers['retry-after']).toBe('5')
    } finally {
      await server().startGateway()
    }
    const after = await send('HEAD', url)
    expect(after.headers['upload-offset']).toBe(String(200 * KiB))
    expect((await send('PATCH', url, { ...PATCH, 'upload-offset': String(200 * KiB) }, data.subarray(200 * KiB))).status).toBe(204)
    const got = await fetch(url)
    expect(got.status).toBe(200)
    expect(sha256(Buffer.from(await got.arrayBuffer()))).toBe(sha256(data))
  })

  it('answers a PATCH cut by S3 going down with 503 and the offset stored, which is what HEAD says once S3 is back', async () => {
    const data = pseudoRandomBytes(1024 * KiB, 42)
    const url = await create(data.length)
    expect((await send('PATCH', url, { ...PATCH, 'upload-offset': '0' }, data.subarray(0, 100 * KiB))).status).toBe(204)
    const stream = openPatch(url, 100 * KiB, data.length - 100 * KiB)
    await stream.write(data.subarray(100 * KiB, 500 * KiB))
    await waitForParts(server(), bucket, idOf(url), 2)
    await server().stopGateway()
    let reply
    try {
      // The rest of the body reaches a gateway that can no longer store it.
      await stream.write(data.subarray(500 * KiB)).catch(() => undefined)
      reply = await stream.ended
    } finally {
      await server().startGateway()
    }
    expect('status' in reply ? reply.status : reply.closed).toBe(503)
    const stored = Number('headers' in reply ? reply.headers['upload-offset'] : NaN)
    expect(stored).toBeGreaterThanOrEqual(100 * KiB)
    expect(Number((await send('HEAD', url)).headers['upload-offset'])).toBe(stored)
    expect((await send('PATCH', url, { ...PATCH, 'upload-offset': String(stored) }, data.subarray(stored))).status).toBe(204)
    expect(sha256(Buffer.from(await (await fetch(url)).arrayBuffer()))).toBe(sha256(data))
  })

  it('answers 503 when S3 stops answering (paused), within its timeouts, and serves again when it is back', async () => {
    const url = await create(10)
    expect((await send('PATCH', url, { ...PATCH, 'upload-offset': '0' }, 'hello')).status).toBe(204)
    server().pause()
    try {
      expect503(await send('HEAD', url))
    } finally {
      server().resume()
    }
    expect((await send('HEAD', url)).headers['upload-offset']).toBe('5')
  })

  it('answers a PATCH still streaming 503 when S3 falls silent, within its timeouts, not once S3 is back', async () => {
    const warnings: Error[] = []
    const onWarning = (warning: Error): number => warnings.push(warning)
    process.on('warning', onWarning)
    onTestFinished(() => void process.off('warning', onWarning))
    // A store of its own, whose attempts wait long enough for their sum to show.
    const patient = await openStore(server(), bucket, { socketTimeoutMs: 4000, requestTimeoutMs: 4000, maxAttempts: 3, stopGraceMs: 500 })
    const served = await startGateway({ store: patient })
    const data = pseudoRandomBytes(2048 * KiB, 43)
    const reply0 = await send('POST', `http://127.0.0.1:${served.port}${served.basePath}`, { 'upload-length': String(data.length) })
    const url = new URL(reply0.headers.location ?? '', collection).href
    const stream = openPatch(url, 0, data.length)
    await stream.write(data.subarray(0, 400 * KiB))
    await waitForParts(server(), bucket, idOf(url), 2)
    server().pause()
    const started = Date.now()
    let reply
    try {
      // The client goes on sending the rest, as curl and tus-js-client do.
      await stream.write(data.subarray(400 * KiB)).catch(() => undefined)
      reply = await stream.ended
    } finally {
      server().resume()
      await served.close()
      await patient.close()
    }
    expect('status' in reply ? reply.status : reply.closed).toBe(503)
    // Parts piled up behind a silent S3, each call listening to the append's signal: within the bound set for it,
    // so node printed no "Possible EventTarget memory leak detected" (it did past 10 listeners).
    expect(warnings.filter((warning) => warning.name === 'MaxListenersExceededWarning')).toEqual([])
    // One attempt of the parts (4 s without a byte, and the time to fill the socket buffers: a silent S3 is not
    // tried again), then one grace period for the commit of what S3 confirmed. Before, every attempt waited out
    // its timeout (3 x 4 s and more here; with the defaults 100-190 s), and before that every attempt of an interim
    // commit and then of the final one as well (minutes: as long as S3 stayed silent).
    expect(Date.now() - started).toBeLessThan(12_000)
  }, 120_000)
})
