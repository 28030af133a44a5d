import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { runCli, spawnGateway, type GatewayProcess } from '../resilience/gateway-process.js'

const HOUR = 3_600_000

// The flags of issue 3 on the real command line (`node dist/cli/main.js`).
describe('--expire-after and --expire-finished-after', () => {
  let uploadDir: string
  const started: GatewayProcess[] = []
  beforeEach(async () => {
    uploadDir = await mkdtemp(join(tmpdir(), 'rg-cli-expire-'))
  })
  afterEach(async () => {
    for (const gateway of started.splice(0)) await gateway.stop()
    await rm(uploadDir, { recursive: true, force: true })
  })

  async function expiryOfNewUpload(gateway: GatewayProcess, length: number, data = ''): Promise<{ extensions: string; expires: string | null }> {
    const options = await fetch(gateway.url, { method: 'OPTIONS' })
    const created = await fetch(gateway.url, {
      method: 'POST',
      headers: { 'tus-resumable': '1.0.0', 'upload-length': String(length), 'content-type': 'application/offset+octet-stream' },
      body: data,
    })
    expect(created.status).toBe(201)
    return { extensions: options.headers.get('tus-extension') ?? '', expires: created.headers.get('upload-expires') }
  }

  it('[T-39] [T-40] --expire-after announces expiration and dates unfinished uploads', async () => {
    const gateway = await spawnGateway(['--upload-dir', uploadDir, '--log-level', 'silent', '--expire-after', '1h'])
    started.push(gateway)
    const since = Date.now()
    const { extensions, expires } = await expiryOfNewUpload(gateway, 10)
    expect(extensions.split(',')).toContain('expiration')
    expect(Date.parse(expires ?? '')).toBeGreaterThan(since + HOUR - 5_000)
    expect(Date.parse(expires ?? '')).toBeLessThanOrEqual(Date.now() + HOUR)
  })

  it('[T-39] reads RESUMABLE_GATEWAY_EXPIRE_AFTER and RESUMABLE_GATEWAY_EXPIRE_FINISHED_AFTER', async () => {
    const env = { RESUMABLE_GATEWAY_EXPIRE_AFTER: '2h', RESUMABLE_GATEWAY_EXPIRE_FINISHED_AFTER: '3h' }
    const gateway = await spawnGateway(['--upload-dir', uploadDir, '--log-level', 'silent'], { env })
    started.push(gateway)
    const since = Date.now()
    const unfinished = await expiryOfNewUpload(gateway, 10)
    expect(unfinished.extensions.split(',')).toContain('expiration')
    expect(Date.parse(unfinished.expires ?? '')).toBeGreaterThan(since + 2 * HOUR - 5_000)
    const finished = await expiryOfNewUpload(gateway, 2, 'ok')
    expect(Date.parse(finished.expires ?? '')).toBeGreaterThan(since + 3 * HOUR - 5_000)
  })

  it('[T-39] without them, nothing expires and expiration is not announced', async () => {
    const gateway = await spawnGateway(['--upload-dir', uploadDir, '--log-level', 'silent'])
    started.push(gateway)
    const { extensions, expires } = await expiryOfNewUpload(gateway, 10)
    expect(extensions.split(',')).not.toContain('expiration')
    expect(expires).toBeNull()
  })

  it('lists both flags in --help and refuses a bad duration naming the flag', async () => {
    const help = await runCli(['--help'])
    expect(help.stdout).toContain('--expire-after <duration>')
    expect(help.stdout).toContain('RESUMABLE_GATEWAY_EXPIRE_FINISHED_AFTER')
    const bad = await runCli(['--expire-after', 'soon'])
    expect(bad.code).not.toBe(0)
    expect(bad.stderr).toContain('--expire-after')
  })
})
