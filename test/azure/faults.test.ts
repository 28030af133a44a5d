import { createHash, randomBytes } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import { afterAll, afterEach, beforeAll, beforeEach, expect, it } from 'vitest'
import { AzureStore } from '../../src/store/azure/azure-store.js'
import type { TestClient, TestResponse } from '../support/client.js'
import { startGateway, type TestGateway } from '../support/gateway.js'
import { http1Client } from '../support/http1-client.js'
import { createUpload, download, head, patch, storedOffset, TUS } from '../support/tus.js'
import { describeWithServer } from '../servers/availability.js'
import { azurite } from '../servers/azurite.js'
import { containerName } from './azure-support.js'
import { FaultProxy } from './fault-proxy.js'
import { openPatch } from '../resilience/tus-http.js'

// Azure out of reach, answering 5xx, or silent, between the gateway and Azurite (a proxy that refuses, fails or
// holds connections): clients get 503 with Retry-After and no internal text, every byte a 2xx acknowledged is
// still there afterwards, and a request asked to let go (a newer request, a shutdown) is not held by a call
// that hangs.

const KiB = 1024
const sha256 = (data: Uint8Array): string => createHash('sha256').update(data).digest('hex')

describeWithServer('an AzureStore whose Azure fails', azurite, (server) => {
  let proxy: FaultProxy
  let store: AzureStore
  let gateway: TestGateway
  let client: TestClient

  beforeAll(async () => {
    proxy = await FaultProxy.start(server().port)
  })
  afterAll(async () => {
    await proxy?.close()
  })
  beforeEach(async () => {
    proxy.mode = 'pass'
    store = await AzureStore.connect({
      credentials: { accountName: server().accountName, accountKey: server().accountKey, endpoint: `http://127.0.0.1:${proxy.port}/${server().accountName}` },
      container: containerName(),
      // Few, quick retries and small blocks keep the test short; a long try timeout shows that nothing waits
      // for it: a call that hangs ends with its request's signal.
      retry: { maxTries: 2, retryDelayInMs: 20, maxRetryDelayInMs: 50, tryTimeoutInMs: 120_000 },
      blockSize: 64 * KiB,
      flushGraceMs: 300,
    })
    gateway = await startGateway({ store, experimentalProtocol: true, shutdownTimeoutMs: 60_000 })
    client = http1Client(gateway.port)
  })
  afterEach(async () => {
    proxy.mode = 'pass'
    await client?.close()
    await gateway?.close()
    await store?.container.deleteIfExists()
  })

  const expectUnavailable = (response: TestResponse, what: string): void => {
    expect(response.status, `${what}: ${response.text}`).toBe(503)
    expect(response.headers['retry-after'], what).toBe('5')
    expect(response.text, what).not.toMatch(/ECONN|127\.0\.0\.1|RestError|ServerBusy|at \w+ \(/)
  }

  it.each(['refuse', 'fail'] as const)('answers every request 503 with Retry-After when Azure %ss, and serves again once it is back', async (mode) => {
    const unfinished = await createUpload(client, gateway.basePath, { length: 10, data: 'abc' })
    const finished = await createUpload(client, gateway.basePath, { length: 3, data: 'xyz' })
    proxy.mode = mode
    expectUnavailable(await client.request({ method: 'POST', url: gateway.basePath, headers: { ...TUS, 'upload-length': '5' } }), 'tus creation')
    expectUnavailable(await head(client, unfinished), 'HEAD')
    expectUnavailable(await patch(client, unfinished, 3, 'defg'), 'PATCH')
    expectUnavailable(await download(client, finished), 'GET')
    expectUnavailable(await client.request({ method: 'DELETE', url: unfinished, headers: { ...TUS } }), 'DELETE')
    const draft = await client.request({ method: 'POST', url: gateway.basePath, headers: { 'upload-draft-interop-version': '8', 'upload-complete': '?1' }, body: 'hi' })
    expectUnavailable(draft, 'draft creation')
    expect(draft.headers['content-type']).toBe('application/problem+json')
    proxy.mode = 'pass'
    expect(await storedOffset(client, unfinished)).toBe(3)
    expect((await download(client, finished)).text).toBe('xyz')
  })

  it('loses no acknowledged byte when Azure goes away in the middle of a PATCH, and the upload resumes byte for byte', async () => {
    const data = randomBytes(1024 * KiB)
    const url = await createUpload(client, gateway.basePath, { length: data.length, data: data.subarray(0, 300 * KiB) })
    const acknowledged = await storedOffset(client, url)
    expect(acknowledged).toBe(300 * KiB)
    // The next PATCH streams its body; Azure goes away while it does, and the gateway answers before the end.
    const stream = openPatch(url, acknowledged, data.length - acknowledged)
    let answered = false
    void stream.ended.then(() => (answered = true))
    for (let at = acknowledged; at < data.length && !answered; at += 16 * KiB) {
      if (at >= 600 * KiB) proxy.mode = 'refuse'
      await stream.write(data.subarray(at, Math.min(data.length, at + 16 * KiB))).catch(() => undefined)
      await sleep(1)
    }
    const failed = await stream.ended
    // The gateway answers as soon as a block fails, before the rest of the body: over HTTP/1.1 the client may
    // see its connection closed under the body (EPIPE) instead of the 503.
    if ('status' in failed) expect(failed).toMatchObject({ status: 503, headers: { 'retry-after': '5' } })
    proxy.mode = 'pass'
    const offset = await storedOffset(client, url)
    expect(offset).toBeGreaterThanOrEqual(acknowledged)
    // What the 503 said was stored is stored; a block whose answer Azure's going away cut may be stored too (the
    // store counts it once Azure lists it), so the offset may be larger, never smaller.
    if ('headers' in failed && failed.headers['upload-offset'] !== undefined) expect(offset).toBeGreaterThanOrEqual(Number(failed.headers['upload-offset']))
    expect((await patch(client, url, offset, data.subarray(offset))).status).toBe(204)
    expect(sha256((await download(client, url)).body)).toBe(sha256(data))
  })

  it('lets a PATCH whose block hangs in Azure go when a newer request asks for the upload', async () => {
    const url = await createUpload(client, gateway.basePath, { length: 1024 * KiB })
    const stalled = openPatch(url, 0, 1024 * KiB)
    await stalled.write(randomBytes(100 * KiB))
    // Wait for the first 64 KiB block, then silence Azure: the second block hangs on its way.
    while ((await store.open(url.split('/').pop() as string, AbortSignal.timeout(5000))).state.offset < 64 * KiB) await sleep(20)
    proxy.mode = 'hang'
    await stalled.write(randomBytes(100 * KiB))
    // A newer request (a client resuming) asks the PATCH to let go: its hanging block is aborted after the
    // grace period (not after the 120 s try timeout), and it answers that Azure did not take it.
    const resumed = head(client, url)
    const ended = await stalled.ended
    expect(ended).toMatchObject({ status: 503, body: expect.stringMatching(/storage is unavailable right now; \d+ bytes are stored/) })
    proxy.mode = 'pass'
    const offset = Number((await resumed).headers['upload-offset'])
    expect(offset % (64 * KiB)).toBe(0)
    expect(offset).toBeGreaterThanOrEqual(64 * KiB)
  })

  it('lets a PATCH whose block hangs in Azure answer at shutdown, with what is stored', async () => {
    const url = await createUpload(client, gateway.basePath, { length: 1024 * KiB })
    const stalled = openPatch(url, 0, 1024 * KiB)
    await stalled.write(randomBytes(100 * KiB))
    while ((await store.open(url.split('/').pop() as string, AbortSignal.timeout(5000))).state.offset < 64 * KiB) await sleep(20)
    proxy.mode = 'hang'
    await stalled.write(randomBytes(100 * KiB))
    const closed = gateway.close()
    const ended = await stalled.ended
    expect(ended).toMatchObject({ status: 503, body: expect.stringMatching(/\d+ bytes are stored/) })
    await closed
  })

  it('answers 503 with Retry-After when Azure goes silent, once each try went without a byte for the try timeout', async () => {
    // The SDK's try timeout is only a hint to the server (`?timeout=`): a silent Azure (a hung host, a dropped
    // route) held every call, and the upload's lock, for as long as it stayed silent.
    const quick = await AzureStore.connect({
      credentials: { accountName: server().accountName, accountKey: server().accountKey, endpoint: `http://127.0.0.1:${proxy.port}/${server().accountName}` },
      container: containerName(),
      retry: { maxTries: 2, retryDelayInMs: 20, maxRetryDelayInMs: 50, tryTimeoutInMs: 1_000 },
      blockSize: 64 * KiB,
    })
    const served = await startGateway({ store: quick })
    const quickClient = http1Client(served.port)
    try {
      const url = await createUpload(quickClient, served.basePath, { length: 10, data: 'abc' })
      proxy.mode = 'hang'
      const started = Date.now()
      expectUnavailable(await head(quickClient, url), 'HEAD')
      expectUnavailable(await patch(quickClient, url, 3, 'defg'), 'PATCH')
      // Two tries of 1 s each, twice, and the retry delays: far from the minutes Azure stayed silent before.
      expect(Date.now() - started).toBeLessThan(15_000)
      proxy.mode = 'pass'
      expect(await storedOffset(quickClient, url)).toBe(3)
    } finally {
      await quickClient.close()
      await served.close()
      await quick.container.deleteIfExists()
    }
  }, 30_000)
})
