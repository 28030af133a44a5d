import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { runCli, spawnGateway, type GatewayProcess } from '../resilience/gateway-process.js'
import { createUpload, idOf, openPatch } from '../resilience/tus-http.js'

// The locker flags as a user meets them, in a real process.

describe('resumable-gateway --locker', () => {
  let workDir: string
  const gateways: GatewayProcess[] = []

  beforeEach(async () => {
    workDir = await mkdtemp(join(tmpdir(), 'rg-cli-locker-'))
  })
  afterEach(async () => {
    await Promise.all(gateways.splice(0).map((gateway) => gateway.stop()))
    await rm(workDir, { recursive: true, force: true })
  })

  it('--locker redis without --redis-url exits 1 naming both flags, before opening anything', async () => {
    const run = await runCli(['--locker', 'redis', '--upload-dir', join(workDir, 'never')])
    expect(run.code).toBe(1)
    expect(run.stderr).toContain('--locker redis needs --redis-url')
    expect(run.stdout).toBe('')
    await expect(stat(join(workDir, 'never'))).rejects.toMatchObject({ code: 'ENOENT' })
  })

  it('--redis-url without --locker redis exits 1 naming both flags', async () => {
    const run = await runCli(['--redis-url', 'redis://127.0.0.1:6379', '--upload-dir', join(workDir, 'never')])
    expect(run.code).toBe(1)
    expect(run.stderr).toContain('--redis-url is only used with --locker redis')
  })

  it('--locker file keeps tusd-style lock files next to the uploads while a request holds one', async () => {
    const uploadDir = join(workDir, 'uploads')
    const gateway = await spawnGateway(['--log-level', 'silent', '--upload-dir', uploadDir], { env: { RESUMABLE_GATEWAY_LOCKER: 'file' } })
    gateways.push(gateway)
    const url = await createUpload(gateway.url, 100)
    const stalled = openPatch(url, 0, 100)
    await stalled.write(Buffer.alloc(10))
    const id = idOf(url)
    // The PATCH holds the lock: `<id>.lock` holds the gateway's pid on its first line, as tusd's do.
    let entries: string[] = []
    for (let tries = 0; tries < 100 && !entries.includes(`${id}.lock`); tries++) {
      entries = await readdir(uploadDir)
      await new Promise((resolve) => setTimeout(resolve, 20))
    }
    expect(entries).toContain(`${id}.lock`)
    expect((await readFile(join(uploadDir, `${id}.lock`), 'utf8')).split('\n')[0]).toBe(String(gateway.pid))
    stalled.request.destroy()
  })
})
