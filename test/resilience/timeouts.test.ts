import { execFile } from 'node:child_process'
import { mkdtemp, readFile, rm, unlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { spawnGateway, type GatewayProcess } from './gateway-process.js'
import { createUpload, head, idOf, offsetOf, openPatch, send, waitForStoredBytes } from './tus-http.js'

// The timeouts of the CLI, against a real gateway process.

describe('timeouts', () => {
  let uploadDir: string
  let gateway: GatewayProcess | undefined

  beforeEach(async () => {
    uploadDir = await mkdtemp(join(tmpdir(), 'rg-timeouts-'))
  })
  afterEach(async () => {
    await gateway?.stop()
    gateway = undefined
    await rm(uploadDir, { recursive: true, force: true })
  })

  const start = async (...args: string[]): Promise<GatewayProcess> => {
    gateway = await spawnGateway(['--upload-dir', uploadDir, '--log-level', 'silent', ...args])
    return gateway
  }

  it('[T-20, T-21] --network-timeout stops a stalled body, keeps its bytes, and answers 500 so that clients retry', async () => {
    const { url: collection } = await start('--network-timeout', '1s')
    const url = await createUpload(collection, 1000)
    const stalled = openPatch(url, 0, 1000)
    await stalled.write(Buffer.alloc(300, 'a'))
    const stalledAt = Date.now()

    const end = await stalled.ended
    // Not before the timeout: the timeout is what stopped it (no upper bound: the machine may be busy).
    expect(Date.now() - stalledAt).toBeGreaterThanOrEqual(900)
    expect(end).toMatchObject({ status: 500 })
    expect((end as { body: string }).body).toContain('no data received for 1000 ms; 300 bytes are stored')
    stalled.request.destroy()
    expect(await offsetOf(url)).toBe(300)
  })

  it('--acquire-lock-timeout answers 423 with a clear message while the holder of an upload is stuck', async () => {
    const { url: collection } = await start('--acquire-lock-timeout', '500ms')
    const url = await createUpload(collection, 10)
    const id = idOf(url)
    // An `.info` that blocks every read, as a hung network file system does: whichever request takes the
    // lock first is stuck inside the store, holding the lock, and cannot let go however it is asked.
    const infoPath = join(uploadDir, `${id}.info`)
    const info = await readFile(infoPath)
    await unlink(infoPath)
    await promisify(execFile)('mkfifo', [infoPath])

    const requests = [send('GET', url), send('GET', url)]
    const answered = await Promise.race(requests.map((request, index) => request.then((reply) => ({ reply, index }))))
    expect(answered.reply.status).toBe(423)
    expect(answered.reply.body).toBe(`upload ${id} is busy: another request did not release it within 500 ms\n`)
    // The holder is still stuck: a HEAD, what a resuming tus client sends, gets 423 too.
    expect((await head(url)).status).toBe(423)

    // The store comes back: the stuck read gets its bytes, the holder answers, and the lock is free again.
    await writeFile(infoPath, info)
    expect((await requests[1 - answered.index])?.status).toBe(409)
    await unlink(infoPath)
    await writeFile(infoPath, info)
    expect(await offsetOf(url)).toBe(0)
  })

  it('--acquire-lock-timeout does not apply when the holder lets go: a stalled PATCH is interrupted at once', async () => {
    const { url: collection } = await start('--acquire-lock-timeout', '1h', '--network-timeout', '1h')
    const url = await createUpload(collection, 10)
    const stalled = openPatch(url, 0, 10)
    await stalled.write(Buffer.from('0123'))
    await waitForStoredBytes(uploadDir, idOf(url), 4)
    expect((await head(url)).headers['upload-offset']).toBe('4')
    stalled.request.destroy()
  })
})
