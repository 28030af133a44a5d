import { execFile } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { promisify } from 'node:util'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { startGcsFake, type GcsFake } from '../fakes/gcs/gcs-fake.js'
import { runCli, spawnGateway, type GatewayProcess } from '../resilience/gateway-process.js'
import { createUpload, offsetOf, openPatch, send } from '../resilience/tus-http.js'
import { resumeWithTusJsClient } from '../resilience/tus-js-resume.js'

// The gateway as a user runs it, `resumable-gateway --gcs-bucket ... --gcs-endpoint ...`, against a GCS fake
// (test/fakes/gcs, not GCS) in this process: curl, kill -9 in the middle of a PATCH, a bucket that is not there.

const run = promisify(execFile)
const CURL = '/usr/bin/curl'
const MiB = 1024 * 1024
const sha256 = (data: Buffer): string => createHash('sha256').update(data).digest('hex')

let fake: GcsFake
let work: string
const gateways: GatewayProcess[] = []

beforeEach(async () => {
  fake = await startGcsFake()
  fake.createBucket('uploads')
  work = await mkdtemp(join(tmpdir(), 'rg-gcs-process-'))
})
afterEach(async () => {
  await Promise.all(gateways.splice(0).map((gateway) => gateway.stop()))
  await fake.stop()
  await rm(work, { recursive: true, force: true })
})

async function start(): Promise<GatewayProcess> {
  const gateway = await spawnGateway(['--gcs-bucket', 'uploads', '--gcs-endpoint', fake.endpoint, '--gcs-object-prefix', 'tus', '--log-level', 'silent'])
  gateways.push(gateway)
  return gateway
}

describe('resumable-gateway --gcs-bucket', () => {
  it('serves curl: create, send in two PATCHes, HEAD, download, delete; the bucket holds tusd\'s layout meanwhile', async () => {
    const gateway = await start()
    const data = randomBytes(3 * MiB + 7)
    await writeFile(join(work, 'first'), data.subarray(0, MiB))
    await writeFile(join(work, 'rest'), data.subarray(MiB))
    const tus = ['-H', 'Tus-Resumable: 1.0.0']
    const created = await run(CURL, ['-sS', '-i', '-X', 'POST', gateway.url, ...tus, '-H', `Upload-Length: ${data.length}`, '-H', 'Upload-Metadata: filename ZGF0YS5iaW4='])
    expect(created.stdout).toMatch(/^HTTP\/1\.1 201 /)
    const location = /^location: (\S+)/im.exec(created.stdout)?.[1] ?? ''
    const id = location.split('/').pop() ?? ''
    const octets = ['-H', 'Content-Type: application/offset+octet-stream']
    const first = await run(CURL, ['-sS', '-i', '-X', 'PATCH', location, ...tus, ...octets, '-H', 'Upload-Offset: 0', '--data-binary', `@${join(work, 'first')}`])
    expect(first.stdout).toMatch(/^HTTP\/1\.1 204 [^]*upload-offset: 1048576/im)
    expect(fake.objectNames('uploads')).toEqual([`tus/${id}.info`, `tus/${id}_0`])
    const state = await run(CURL, ['-sS', '-I', location, ...tus])
    expect(state.stdout).toMatch(/upload-offset: 1048576\r\n/i)
    const rest = await run(CURL, ['-sS', '-i', '-X', 'PATCH', location, ...tus, ...octets, '-H', `Upload-Offset: ${MiB}`, '--data-binary', `@${join(work, 'rest')}`])
    expect(rest.stdout).toMatch(/upload-offset: 3145735\r\n/i)
    expect(fake.objectNames('uploads')).toEqual([`tus/${id}`, `tus/${id}.info`])
    const downloaded = await run(CURL, ['-sS', location], { encoding: 'buffer', maxBuffer: 8 * MiB })
    expect(sha256(downloaded.stdout)).toBe(sha256(data))
    const deleted = await run(CURL, ['-sS', '-i', '-X', 'DELETE', location, ...tus])
    expect(deleted.stdout).toMatch(/^HTTP\/1\.1 204 /)
    expect(fake.objectNames('uploads')).toEqual([])
  })

  it('[T-21] keeps what GCS confirmed through kill -9 in the middle of a PATCH, and tus-js-client resumes to the exact bytes', async () => {
    const size = 24 * MiB
    const data = randomBytes(size)
    const first = await start()
    const url = await createUpload(first.url, size)
    const id = url.split('/').pop() ?? ''
    const stream = openPatch(url, 0, size)
    // Half the bytes: one 8 MiB chunk object confirmed, the next one on its way; then the plug is pulled.
    for (let at = 0; at < size / 2; at += MiB) await stream.write(data.subarray(at, at + MiB))
    for (let tries = 0; fake.read('uploads', `tus/${id}_0`) === undefined; tries++) {
      if (tries > 500) throw new Error('the first chunk object never arrived')
      await sleep(10)
    }
    first.child.kill('SIGKILL')
    expect(await first.exited).toEqual({ code: null, signal: 'SIGKILL' })
    await stream.ended

    const second = await start()
    const resumed = new URL(new URL(url).pathname, second.origin).href
    const offset = await offsetOf(resumed)
    expect(offset).toBeGreaterThanOrEqual(8 * MiB)
    expect(offset).toBeLessThanOrEqual(stream.written)
    const requests = await resumeWithTusJsClient(resumed, data)
    expect(requests).toEqual(['HEAD', `PATCH ${offset}`])
    const download = await fetch(resumed)
    expect(sha256(Buffer.from(await download.arrayBuffer()))).toBe(sha256(data))
    expect((await send('HEAD', resumed)).headers['upload-offset']).toBe(String(size))
    expect(fake.objectNames('uploads')).toEqual([`tus/${id}`, `tus/${id}.info`])
  })

  it('exits 1 at start-up naming --gcs-bucket when the bucket is not there, or a GCS flag comes without it', async () => {
    const missing = await runCli(['--gcs-bucket', 'no-such-bucket', '--gcs-endpoint', fake.endpoint, '--port', '0'])
    expect(missing.code).toBe(1)
    expect(missing.stderr).toMatch(/--gcs-bucket: GCS bucket no-such-bucket does not exist/)
    const alone = await runCli(['--gcs-endpoint', fake.endpoint, '--port', '0'])
    expect(alone.code).toBe(1)
    expect(alone.stderr).toContain('--gcs-endpoint needs --gcs-bucket')
    const prefix = await runCli(['--gcs-bucket', 'uploads', '--gcs-object-prefix', 'a_b'])
    expect(prefix.code).toBe(1)
    expect(prefix.stderr).toContain('--gcs-object-prefix')
  })
})
