import { createHash, randomBytes } from 'node:crypto'
import { once } from 'node:events'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import http from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { spawnGateway, type GatewayProcess } from '../resilience/gateway-process.js'
import { startApp, type TestApp } from './app.js'

// A huge upload through upstream mode with bounded memory: 768 MiB go from the client to the store, then
// from the store to the application as one request, both streamed; the gateway's peak resident set stays far
// below the upload's size (the same bounds as test/resilience/memory.slow.test.ts, with room for undici).

const MiB = 1024 * 1024
const SIZE = 768 * MiB
const PEAK_RSS_LIMIT = 160 * MiB

async function peakRss(pid: number): Promise<number> {
  const match = /^VmHWM:\s+(\d+) kB$/m.exec(await readFile(`/proc/${pid}/status`, 'utf8'))
  if (match === null) throw new Error(`no VmHWM in /proc/${pid}/status`)
  return Number(match[1]) * 1024
}

describe('upstream mode: a huge upload with bounded gateway memory', () => {
  let app: TestApp
  let gateway: GatewayProcess
  let dir: string

  beforeEach(async () => {
    app = await startApp()
    dir = await mkdtemp(join(tmpdir(), 'rg-upstream-memory-'))
    gateway = await spawnGateway(['--upload-dir', dir, '--upstream', app.url, '--log-level', 'warn'])
  })
  afterEach(async () => {
    await gateway.stop()
    await app.close()
    await rm(dir, { recursive: true, force: true })
  })

  it('streams 768 MiB to the store and then to the application; the answer comes back; peak RSS stays bounded', async () => {
    const block = randomBytes(MiB)
    const hash = createHash('sha256')
    const request = http.request(`${gateway.origin}/api/photos`, {
      method: 'POST',
      agent: false,
      headers: { 'upload-draft-interop-version': '8', 'upload-complete': '?1', 'content-length': String(SIZE), 'content-type': 'application/octet-stream' },
    })
    const replied = new Promise<{ status: number; body: string }>((resolve, reject) => {
      request.once('response', (response) => {
        let body = ''
        response.setEncoding('utf8').on('data', (text: string) => (body += text))
        response.once('end', () => resolve({ status: response.statusCode ?? 0, body }))
      })
      request.once('error', reject)
    })
    for (let index = 0; index < SIZE / MiB; index++) {
      const chunk = Buffer.from(block)
      chunk.writeUInt32BE(index, 0)
      hash.update(chunk)
      if (!request.write(chunk)) await once(request, 'drain')
    }
    request.end()
    const reply = await replied
    expect(reply.status).toBe(201)
    const sha256 = hash.digest('hex')
    expect(JSON.parse(reply.body)).toMatchObject({ bytes: SIZE, sha256 })
    expect(app.received).toMatchObject([{ bytes: SIZE, sha256 }])
    const peak = await peakRss(gateway.pid)
    expect(peak, `peak RSS ${Math.round(peak / MiB)} MiB`).toBeLessThan(PEAK_RSS_LIMIT)
  }, 180_000)
})
