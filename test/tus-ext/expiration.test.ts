import { mkdtemp, readdir, rm, utimes } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import { setTimeout as sleep } from 'node:timers/promises'
import { pino } from 'pino'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createGateway, type Gateway } from '../../src/gateway.js'
import type { TestClient } from '../support/client.js'
import { startGateway, type TestGateway, type TestGatewayOptions } from '../support/gateway.js'
import { transports } from '../support/transports.js'
import { createUpload, head, idOf, OFFSET_OCTET_STREAM, pathOf, patch, TUS } from '../support/tus.js'

const HOUR = 3_600_000
// RFC 9110 §5.6.7 IMF-fixdate, e.g. "Wed, 25 Jun 2014 16:00:00 GMT".
const HTTP_DATE = /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d{2}:\d{2}:\d{2} GMT$/

/** Makes an upload look last written `ago` milliseconds ago (the data file's modification time). */
async function lastWritten(uploadDir: string, url: string, ago: number): Promise<void> {
  const when = new Date(Date.now() - ago)
  await utimes(join(uploadDir, idOf(url)), when, when)
}

/** Waits, up to a bound, until `done` holds. */
async function until(done: () => Promise<boolean>, what: string): Promise<void> {
  for (let attempt = 0; attempt < 200; attempt++) {
    if (await done()) return
    await sleep(25)
  }
  throw new Error(`gave up waiting: ${what}`)
}

/** Expects an Upload-Expires that says `after` from about now (the clock moved on while the request ran). */
function expectExpiry(value: string | undefined, after: number, since: number): void {
  expect(value).toMatch(HTTP_DATE)
  const at = Date.parse(value ?? '')
  // The header has whole seconds, cut down.
  expect(at).toBeGreaterThanOrEqual(since + after - 2_000)
  expect(at).toBeLessThanOrEqual(Date.now() + after)
}

describe.each(transports.map((transport) => [transport.name, transport] as const))('expiration over %s', (_name, transport) => {
  const opened: { gateway: TestGateway; client: TestClient }[] = []
  async function open(options: TestGatewayOptions): Promise<{ gateway: TestGateway; client: TestClient }> {
    const gateway = await startGateway(options)
    const client = transport.connect(gateway)
    opened.push({ gateway, client })
    return { gateway, client }
  }
  afterEach(async () => {
    for (const { gateway, client } of opened.splice(0).reverse()) {
      await client.close()
      await gateway.close()
    }
  })

  it('[T-40] POST, PATCH and HEAD of an unfinished upload carry Upload-Expires, an HTTP-date an --expire-after after its last write', async () => {
    const { gateway, client } = await open({ expireAfterMs: HOUR })
    const since = Date.now()
    const created = await client.request({ method: 'POST', url: gateway.basePath, headers: { ...TUS, 'upload-length': '11' } })
    expect(created.status).toBe(201)
    expectExpiry(created.headers['upload-expires'], HOUR, since)
    const url = created.headers.location ?? ''
    const appended = await patch(client, url, 0, 'hello')
    expect(appended.status).toBe(204)
    expectExpiry(appended.headers['upload-expires'], HOUR, since)
    expectExpiry((await head(client, pathOf(url))).headers['upload-expires'], HOUR, since)
  })

  it('[T-40] Upload-Expires moves with each write', async () => {
    const { gateway, client } = await open({ expireAfterMs: HOUR })
    const url = await createUpload(client, gateway.basePath, { length: 11, data: 'hel' })
    await lastWritten(gateway.uploadDir, url, HOUR / 2)
    const before = Date.parse((await head(client, pathOf(url))).headers['upload-expires'] ?? '')
    const appended = await patch(client, url, 3, 'lo')
    expect(Date.parse(appended.headers['upload-expires'] ?? '') - before).toBeGreaterThan(HOUR / 2 - 5_000)
  })

  it('[T-40] a finished upload carries no Upload-Expires: it will not expire', async () => {
    const { gateway, client } = await open({ expireAfterMs: HOUR })
    const url = await createUpload(client, gateway.basePath, { length: 11 })
    const appended = await patch(client, url, 0, 'hello world')
    expect(appended.status).toBe(204)
    expect(appended.headers['upload-expires']).toBeUndefined()
    expect((await head(client, pathOf(url))).headers['upload-expires']).toBeUndefined()
    const created = await client.request({
      method: 'POST',
      url: gateway.basePath,
      headers: { ...TUS, 'upload-length': '5', 'content-type': OFFSET_OCTET_STREAM },
      body: 'hello',
    })
    expect(created.headers['upload-expires']).toBeUndefined()
  })

  it('[T-40] with --expire-finished-after a finished upload says when it expires', async () => {
    const { gateway, client } = await open({ expireAfterMs: HOUR, expireFinishedAfterMs: 24 * HOUR })
    const since = Date.now()
    const url = await createUpload(client, gateway.basePath, { length: 5, data: 'hello' })
    expectExpiry((await head(client, pathOf(url))).headers['upload-expires'], 24 * HOUR, since)
  })

  it('[T-41] an upload past its expiry gets 410 Gone while the gateway remembers it, 404 after a restart', async () => {
    const { gateway, client } = await open({ expireAfterMs: HOUR })
    const url = await createUpload(client, gateway.basePath, { length: 11, data: 'hello' })
    await lastWritten(gateway.uploadDir, url, HOUR + 1_000)
    expect((await patch(client, url, 5, ' world')).status).toBe(410)
    expect((await head(client, pathOf(url))).status).toBe(410)
    // Removed at once (data and info), not left for the sweeper.
    expect(await readdir(gateway.uploadDir)).toEqual([])
    const restarted = await open({ expireAfterMs: HOUR, uploadDir: gateway.uploadDir })
    const response = await head(restarted.client, pathOf(url))
    expect(response.status).toBe(404)
    expect(response.headers['upload-offset']).toBeUndefined()
  })
})

describe('the expiration sweeper', () => {
  const gateways: (TestGateway | Gateway)[] = []
  // Shared by two gateways in turn, so owned by the test (a test gateway removes only a directory it made).
  let uploadDir: string
  beforeEach(async () => {
    uploadDir = await mkdtemp(join(tmpdir(), 'rg-sweeper-'))
  })
  afterEach(async () => {
    for (const gateway of gateways.splice(0).reverse()) await gateway.close()
    await rm(uploadDir, { recursive: true, force: true })
  })

  it('[T-39] removes expired unfinished uploads on start-up and in the background, and never a finished one', async () => {
    const first = await startGateway({ expireAfterMs: HOUR, uploadDir })
    gateways.push(first)
    const client = transports[0]?.connect(first)
    if (client === undefined) throw new Error('no transport')
    const idle = await createUpload(client, first.basePath, { length: 11, data: 'hello' })
    const finished = await createUpload(client, first.basePath, { length: 5, data: 'hello' })
    const later = await createUpload(client, first.basePath, { length: 11, data: 'hel' })
    await client.close()
    await first.close()
    await lastWritten(uploadDir, idle, 2 * HOUR)
    await lastWritten(uploadDir, finished, 100 * HOUR)
    const files = async (): Promise<string[]> => readdir(uploadDir)
    // A new gateway over the same directory: its start-up pass removes the idle upload.
    const second = await startGateway({ expireAfterMs: HOUR, uploadDir, expirationSweepIntervalMs: 20 })
    gateways.push(second)
    const idleId = idOf(idle)
    await until(async () => !(await files()).includes(idleId), 'the idle upload is removed')
    // Later passes remove what expires meanwhile.
    await lastWritten(uploadDir, later, 2 * HOUR)
    const laterId = idOf(later)
    await until(async () => !(await files()).includes(laterId), 'the later upload is removed')
    const finishedId = idOf(finished)
    expect((await files()).sort()).toEqual([finishedId, `${finishedId}.info`])
  })

  it('logs each expired upload and each pass with the space it freed', async () => {
    const lines: Record<string, unknown>[] = []
    const sink = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        for (const line of chunk.toString('utf8').split('\n')) if (line !== '') lines.push(JSON.parse(line) as Record<string, unknown>)
        callback()
      },
    })
    const first = await startGateway({ expireAfterMs: HOUR, uploadDir })
    gateways.push(first)
    const client = transports[0]?.connect(first)
    if (client === undefined) throw new Error('no transport')
    const url = await createUpload(client, first.basePath, { length: 100, data: 'x'.repeat(42) })
    await client.close()
    await first.close()
    await lastWritten(uploadDir, url, 2 * HOUR)
    const gateway = await createGateway({
      host: '127.0.0.1',
      port: 0,
      uploadDir,
      expireAfterMs: HOUR,
      logger: pino({ level: 'info' }, sink),
    })
    gateways.push(gateway)
    await gateway.listen()
    await until(async () => lines.some((line) => line['event'] === 'expiration-sweep'), 'a sweep is logged')
    const id = idOf(url)
    expect(lines).toContainEqual(expect.objectContaining({ event: 'expired', uploadId: id, bytes: 42 }))
    expect(lines).toContainEqual(expect.objectContaining({ event: 'expiration-sweep', removed: 1, freedBytes: 42, scanned: 1 }))
  })
})
