import { execFile } from 'node:child_process'
import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { mkdtemp, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { HeadObjectCommand } from '@aws-sdk/client-s3'
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest'
import { pseudoRandomBytes } from '../../src/store/conformance/support.js'
import { runCli, spawnGateway, type GatewayProcess } from '../resilience/gateway-process.js'
import { createUpload, head, idOf, offsetOf, openPatch } from '../resilience/tus-http.js'
import { resumeWithTusJsClient } from '../resilience/tus-js-resume.js'
import { describeWithServer } from '../servers/availability.js'
import { parsePrometheusText } from '../observe/prometheus-text.js'
import { FaultProxy } from './fault-proxy.js'
import { freshBucket, KiB, MiB, radosgwWithSmallParts, s3ClientFor } from './s3-support.js'

const run = promisify(execFile)
const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex')
const README = new URL('../../README.md', import.meta.url)
const DEFAULT_URL = 'URL=http://localhost:1080/files/'

/** The sh blocks of the README's `s3` section that run against a gateway at `DEFAULT_URL`. */
function sessions(): string[] {
  const text = readFileSync(README, 'utf8')
  const section = /<!-- section: s3 -->([\s\S]*?)<!-- \/section: s3 -->/.exec(text)?.[1] ?? ''
  return [...section.matchAll(/```sh\n([\s\S]*?)```/g)].map((match) => match[1] ?? '').filter((block) => block.startsWith(DEFAULT_URL))
}

// The CLI as a user runs it on S3: keys in the environment, the bucket and the endpoint as flags.
describeWithServer('the CLI on S3 (radosgw)', radosgwWithSmallParts(), (server) => {
  let bucket: string
  let workDir: string
  const gateways: GatewayProcess[] = []

  beforeAll(async () => {
    bucket = await freshBucket(server())
    workDir = await mkdtemp(join(tmpdir(), 'rg-s3-cli-'))
  })
  afterEach(async () => {
    await Promise.all(gateways.splice(0).map((gateway) => gateway.stop()))
  })
  afterAll(async () => {
    if (workDir !== undefined) await rm(workDir, { recursive: true, force: true })
  })

  const env = (): Record<string, string> => ({ AWS_ACCESS_KEY_ID: server().accessKeyId, AWS_SECRET_ACCESS_KEY: server().secretAccessKey })
  const s3Flags = (...extra: string[]): string[] => ['--s3-bucket', bucket, '--s3-endpoint', server().endpoint, ...extra]

  async function start(...args: string[]): Promise<GatewayProcess> {
    const gateway = await spawnGateway(['--log-level', 'silent', ...args], { env: env() })
    gateways.push(gateway)
    return gateway
  }

  it('runs the README session with curl: parts of 5 MiB, the rest in .part, resumed, downloaded byte for byte', async () => {
    const [session] = sessions()
    expect(session).toBeDefined()
    const gateway = await start(...s3Flags('--s3-part-size', '5MiB'))
    const { stdout } = await run('bash', ['-euo', 'pipefail', '-c', (session ?? '').replace(DEFAULT_URL, `URL=${gateway.url}`)], { cwd: workDir, timeout: 60_000 })
    const lines = stdout.trim().split('\n')
    expect(lines[0]).toMatch(new RegExp(`^${gateway.url}[0-9a-f]{32}\\+[A-Za-z0-9._~=-]+$`))
    expect(lines.slice(1)).toEqual(['204', '7000000', '204', 'identical'])
    const objectId = idOf(lines[0] ?? '').split('+')[0] ?? ''
    const s3 = s3ClientFor(server())
    try {
      expect((await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: objectId }))).ContentLength).toBe(12_000_000)
    } finally {
      s3.destroy()
    }
    // tusd's S3 series, as tusd's dashboards read them: calls per operation, parts buffered, the upload slots.
    const metrics = parsePrometheusText(await (await fetch(new URL('/metrics', gateway.url))).text())
    for (const operation of ['create_multipart_upload', 'put_info_object', 'upload_part', 'put_part_object', 'complete_multipart_upload']) {
      expect(metrics.value('tusd_s3_request_duration_ms_count', { operation }), operation).toBeGreaterThan(0)
    }
    expect(metrics.value('tusd_s3_request_duration_ms', { operation: 'upload_part', quantile: '0.99' })).toBeGreaterThan(0)
    expect(metrics.value('tusd_s3_disk_write_duration_ms_count')).toBeGreaterThan(0)
    expect(metrics.value('tusd_s3_upload_semaphore_limit')).toBe(10)
    expect(metrics.value('tusd_s3_upload_semaphore_demand')).toBe(0)
  })

  it('answers 503 with Retry-After while S3 fails, and logs why (never telling the client)', async () => {
    const proxy = await FaultProxy.start(server().endpoint)
    try {
      const gateway = await spawnGateway(['--log-level', 'warn', '--s3-bucket', bucket, '--s3-endpoint', proxy.endpoint], { env: env() })
      gateways.push(gateway)
      const url = await createUpload(gateway.url, 10)
      proxy.fault = () => ({ status: 503, code: 'SlowDown' })
      const reply = await head(url)
      expect(reply.status).toBe(503)
      expect(reply.headers['retry-after']).toBe('5')
      expect(reply.body).not.toContain('SlowDown')
      // The log names S3's answer, after the client's 3 attempts (its retries are bounded).
      const logged = JSON.parse(await gateway.waitForStderr(/"msg":"storage failed"/)) as Record<string, unknown>
      expect(logged).toMatchObject({ error: 'STORE_UNAVAILABLE', err: { $metadata: { httpStatusCode: 503, attempts: 3 } } })
    } finally {
      await proxy.close()
    }
  })

  it('exits 1 naming the bucket when it cannot be used', async () => {
    const result = await runCli(['--s3-bucket', 'no-such-bucket', '--s3-endpoint', server().endpoint, '--port', '0'], env())
    expect(result.code).toBe(1)
    expect(result.stderr).toContain('S3 bucket no-such-bucket cannot be used: it does not exist')
  })

  it('[T-21] kill -9 in the middle of a PATCH: the restarted gateway reports what S3 holds, and tus-js-client resumes byte-identical', async () => {
    const tempDir = join(workDir, 'parts')
    const flags = s3Flags('--s3-part-size', '256KiB', '--s3-min-part-size', '64KiB', '--s3-temp-dir', tempDir)
    const data = pseudoRandomBytes(8 * MiB, 51)
    const first = await start(...flags)
    const url = await createUpload(first.url, data.length)
    const stream = openPatch(url, 0, data.length)
    // 3 MiB and 100 KiB: twelve parts, and part of the thirteenth in a part file when the gateway dies.
    for (let at = 0; at < 3 * MiB + 100 * KiB; at += 100 * KiB) await stream.write(data.subarray(at, at + 100 * KiB))
    // The parts S3 confirmed are committed every second while the request streams: wait for one such commit.
    const s3 = s3ClientFor(server())
    const objectId = idOf(url).split('+')[0] ?? ''
    try {
      for (let tries = 0; ; tries++) {
        const record = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: `${objectId}.part` }))
        if (Number(record.Metadata?.['committed-parts'] ?? 0) >= 4) break
        expect(tries).toBeLessThan(150)
        await new Promise((resolve) => setTimeout(resolve, 20))
      }
    } finally {
      s3.destroy()
    }
    first.child.kill('SIGKILL')
    expect(await first.exited).toEqual({ code: null, signal: 'SIGKILL' })
    expect(await readdir(tempDir)).not.toEqual([])

    const second = await start(...flags)
    // The killed gateway's part files are gone: the new one removed them as it started.
    expect(await readdir(tempDir)).toEqual([])
    const resumedUrl = new URL(new URL(url).pathname, second.origin).href
    const offset = await offsetOf(resumedUrl)
    expect(offset).toBeGreaterThanOrEqual(4 * 256 * KiB)
    expect(offset).toBeLessThanOrEqual(stream.written)
    const requests = await resumeWithTusJsClient(resumedUrl, data)
    expect(requests).toEqual(['HEAD', `PATCH ${offset}`])
    const downloaded = Buffer.from(await (await fetch(resumedUrl)).arrayBuffer())
    expect(sha256(downloaded)).toBe(sha256(data))
  })
})
