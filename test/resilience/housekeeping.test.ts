import { execFile } from 'node:child_process'
import { mkdtemp, readdir, rm, utimes, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { promisify } from 'node:util'
import { afterEach, describe, expect, it } from 'vitest'
import { startGateway, type TestGateway } from '../support/gateway.js'
import { createUpload, head, offsetOf, openPatch, patch, send } from './tus-http.js'

// Hardening (issue 10): crash leftovers are removed, an upload in use never expires, a full disk answers 507.

const run = promisify(execFile)
const HOUR = 3_600_000

describe('housekeeping of a running gateway', () => {
  let running: TestGateway | undefined
  const dirs: string[] = []

  afterEach(async () => {
    await running?.close()
    running = undefined
    for (const dir of dirs.splice(0)) {
      await run('umount', [dir]).catch(() => undefined)
      await rm(dir, { recursive: true, force: true })
    }
  })

  async function uploadDir(): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), 'rg-housekeeping-'))
    dirs.push(dir)
    return dir
  }

  it('removes at start-up the temporary files a crash left (a copy, an .info being written), never an upload', async () => {
    const dir = await uploadDir()
    const upload = '0123456789abcdef0123456789abcdef'
    await writeFile(join(dir, upload), 'kept')
    await writeFile(join(dir, `${upload}.info`), JSON.stringify({ ID: upload, Size: 4, SizeIsDeferred: false, Offset: 0, MetaData: {}, IsPartial: false, IsFinal: false, PartialUploads: null, Storage: null }))
    const leftovers = [`${upload}.0123456789abcdef.tmp`, `${upload}.info.fedcba9876543210.tmp`]
    const old = new Date(Date.now() - HOUR)
    for (const name of leftovers) {
      await writeFile(join(dir, name), Buffer.alloc(1024))
      await utimes(join(dir, name), old, old)
    }
    running = await startGateway({ uploadDir: dir })
    const deadline = Date.now() + 5_000
    while ((await readdir(dir)).some((name) => name.endsWith('.tmp')) && Date.now() < deadline) await sleep(20)
    expect((await readdir(dir)).sort()).toEqual([upload, `${upload}.info`])
    expect(await offsetOf(`http://127.0.0.1:${running.port}${running.basePath}${upload}`)).toBe(4)
  })

  it('never expires an upload whose body is still arriving, even in pauses longer than the expiry (the sweeper does not interrupt it)', async () => {
    running = await startGateway({ expireAfterMs: 300, expirationSweepIntervalMs: 100, networkTimeoutMs: 5_000 })
    const collection = `http://127.0.0.1:${running.port}${running.basePath}`
    const url = await createUpload(collection, 3)
    const trickle = openPatch(url, 0, 3)
    for (const byte of ['a', 'b']) {
      await trickle.write(Buffer.from(byte))
      // Longer than --expire-after, with the sweeper passing several times meanwhile.
      await sleep(700)
    }
    await trickle.write(Buffer.from('c'))
    expect(await trickle.ended).toMatchObject({ status: 204, headers: { 'upload-offset': '3' } })
  })

  it('answers 507 with Retry-After and the stored offset when the disk is full, and resumes once there is room (skipped without root: mounting a tmpfs)', async (context) => {
    const dir = await uploadDir()
    try {
      await run('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', dir])
    } catch {
      // Mounting a tmpfs needs root (CI runs as root); elsewhere this one test is skipped, as its title says.
      context.skip()
    }
    running = await startGateway({ uploadDir: dir })
    const collection = `http://127.0.0.1:${running.port}${running.basePath}`
    const data = Buffer.alloc(2 * 1024 * 1024, 0x61)
    const url = await createUpload(collection, data.length)
    const full = await patch(url, 0, data)
    expect(full.status).toBe(507)
    expect(full.headers['retry-after']).toBeDefined()
    const stored = Number(full.headers['upload-offset'])
    expect(stored).toBeGreaterThan(0)
    expect(stored).toBeLessThan(data.length)
    expect(await offsetOf(url)).toBe(stored)
    // The operator makes room (a bigger file system here); the client resumes from the offset it was told.
    await run('mount', ['-o', 'remount,size=4m', dir])
    expect((await patch(url, stored, data.subarray(stored))).status).toBe(204)
    const { body } = await send('GET', url)
    expect(body).toBe(data.toString())
    expect((await head(url)).headers['upload-offset']).toBe(String(data.length))
  })
})
