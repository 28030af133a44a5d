import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { spawnGateway, type GatewayProcess } from '../resilience/gateway-process.js'
import { createUpload, head, idOf, openPatch, patch, send, waitForStoredBytes } from '../resilience/tus-http.js'

// What an operator reads on stderr: one JSON object per line, one line per request, and one line per
// upload lifecycle event (created, finished, interrupted, terminated).

type LogLine = Record<string, unknown>

describe('log lines', () => {
  let uploadDir: string
  let gateway: GatewayProcess | undefined

  beforeEach(async () => {
    uploadDir = await mkdtemp(join(tmpdir(), 'rg-logs-'))
  })
  afterEach(async () => {
    await gateway?.stop()
    gateway = undefined
    await rm(uploadDir, { recursive: true, force: true })
  })

  /** Runs `scenario` against a gateway logging at info, stops it with SIGTERM, and returns every stderr line parsed. */
  async function logsOf(scenario: (collection: string) => Promise<void>): Promise<LogLine[]> {
    gateway = await spawnGateway(['--upload-dir', uploadDir, '--log-level', 'info'])
    await scenario(gateway.url)
    gateway.child.kill('SIGTERM')
    expect(await gateway.exited).toEqual({ code: 0, signal: null })
    return gateway.stderrLines().map((line) => JSON.parse(line) as LogLine)
  }

  it('writes one JSON line per request with method, path, status, uploadId, bytes, durationMs and requestId', async () => {
    let url = ''
    const lines = await logsOf(async (collection) => {
      url = await createUpload(collection, 5, { 'x-request-id': 'create-1' })
      expect((await patch(url, 0, Buffer.from('hello'))).status).toBe(204)
      expect((await head(url)).status).toBe(200)
    })
    const requests = lines.filter((line) => line.msg === 'request')
    expect(requests).toHaveLength(3)
    const path = new URL(url).pathname
    expect(requests[0]).toMatchObject({ method: 'POST', path: '/files/', status: 201, bytes: 0, requestId: 'create-1' })
    expect(requests[1]).toMatchObject({ method: 'PATCH', path, status: 204, uploadId: idOf(url), bytes: 5 })
    expect(requests[2]).toMatchObject({ method: 'HEAD', path, status: 200, uploadId: idOf(url), bytes: 0 })
    for (const request of requests) {
      expect(request.durationMs).toEqual(expect.any(Number))
      expect(request.requestId).toMatch(/^[A-Za-z0-9._-]+$/)
      expect(request.level).toBe(30)
    }
    // Without X-Request-Id, each request gets its own id.
    expect(new Set(requests.map((request) => request.requestId)).size).toBe(3)
  })

  it('names the core error of a failed request', async () => {
    const lines = await logsOf(async (collection) => {
      const url = await createUpload(collection, 5)
      expect((await patch(url, 3, Buffer.from('x'))).status).toBe(409)
    })
    const patchLine = lines.find((line) => line.msg === 'request' && line.method === 'PATCH')
    expect(patchLine).toMatchObject({ status: 409, error: 'OFFSET_MISMATCH' })
  })

  it('writes a line for each lifecycle event: created, finished, interrupted, terminated', async () => {
    let finishedId = ''
    let interruptedId = ''
    const lines = await logsOf(async (collection) => {
      const finished = await createUpload(collection, 5)
      finishedId = idOf(finished)
      await patch(finished, 0, Buffer.from('12345'))

      const interrupted = await createUpload(collection, 100)
      interruptedId = idOf(interrupted)
      const stalled = openPatch(interrupted, 0, 100)
      await stalled.write(Buffer.from('0123456789'))
      await waitForStoredBytes(uploadDir, interruptedId, 10)
      expect((await send('DELETE', interrupted)).status).toBe(204)
      await stalled.ended
      stalled.request.destroy()
    })
    const events = lines.filter((line) => typeof line.event === 'string').map((line) => [line.event, line.uploadId])
    expect(events).toEqual([
      ['created', finishedId],
      ['finished', finishedId],
      ['created', interruptedId],
      ['interrupted', interruptedId],
      ['terminated', interruptedId],
    ])
    expect(lines.find((line) => line.event === 'interrupted')).toMatchObject({ bytes: 10, offset: 10, reason: 'UPLOAD_INTERRUPTED' })
    expect(lines.find((line) => line.event === 'created' && line.uploadId === finishedId)).toMatchObject({ length: 5 })
  })

  it('logs nothing at --log-level silent', async () => {
    gateway = await spawnGateway(['--upload-dir', uploadDir, '--log-level', 'silent'])
    await createUpload(gateway.url, 1)
    gateway.child.kill('SIGTERM')
    await gateway.exited
    expect(gateway.stderrLines()).toEqual([])
  })
})
