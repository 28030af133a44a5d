import { spawn } from 'node:child_process'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import http from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { spawnGateway, type GatewayProcess } from './gateway-process.js'
import { createUpload, patch, send } from './tus-http.js'

// HTTP/2 rapid reset against ONE upload (issue 10, item 1), against a real gateway process: attackers send
// HEADERS (a HEAD of the upload) and RST_STREAM(CANCEL) in batches of 100, reconnecting whenever a connection
// ends (scripts/rapid-reset.mjs, raw frames, in a process of its own, so at most one of the machine's cores):
// two clients reset each stream in the packet that opened it, two reset a batch with the next one, so that
// its requests reach the upload's lock first. Measured before the fixes, on the same machine: the gateway's legitimate clients of that upload got
// 423 (its lock's queue full of requests whose clients were gone), OPTIONS waited seconds, and under a 48 MB
// heap cap the process died (with the queue unbounded, as it was). What must hold: the process lives (also
// under that cap), its peak resident memory stays under 300 MiB, every OPTIONS (one every 100 ms, on a fresh
// connection) is answered, a HEAD of the attacked upload is answered with its offset, and another upload
// goes on.

const ATTACK = fileURLToPath(new URL('../../scripts/rapid-reset.mjs', import.meta.url))
const MiB = 1024 * 1024
const PEAK_RSS_LIMIT = 300 * MiB

/** A memory figure of a process from /proc/<pid>/status (`VmHWM` is the peak resident set), in bytes. */
async function memory(pid: number, field: 'VmHWM' | 'VmRSS'): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8')
  const match = new RegExp(`^${field}:\\s+(\\d+) kB$`, 'm').exec(status)
  if (match === null) throw new Error(`no ${field} in /proc/${pid}/status`)
  return Number(match[1]) * 1024
}

interface AttackReport {
  readonly streams: number
  readonly connections: number
  readonly goaways: Record<string, number>
  readonly errors: number
}

/** Runs the attack script (4 clients, both ways of resetting) for `seconds` in a process of its own; resolves with its report. */
function attack(url: string, seconds: number): Promise<AttackReport> {
  const child = spawn(process.execPath, [ATTACK, url, '--clients', '4', '--seconds', String(seconds), '--reset', 'both'], { stdio: ['ignore', 'pipe', 'inherit'] })
  let output = ''
  child.stdout.setEncoding('utf8').on('data', (text: string) => (output += text))
  return new Promise((resolve, reject) => {
    child.once('error', reject)
    child.once('close', (code) => (code === 0 ? resolve(JSON.parse(output) as AttackReport) : reject(new Error(`the attack exited with ${code}`))))
  })
}

/** An OPTIONS on a fresh connection; resolves with how long its answer took, or the failure. */
function timedOptions(url: string): Promise<number | string> {
  return new Promise((resolve) => {
    const started = performance.now()
    const request = http.request(url, { method: 'OPTIONS', agent: false, timeout: 10_000 }, (response) => {
      response.resume()
      response.once('end', () => resolve(response.statusCode === 200 ? performance.now() - started : `status ${response.statusCode}`))
    })
    request.once('timeout', () => request.destroy(new Error('no answer within 10 s')))
    request.once('error', (error) => resolve(error.message))
    request.end()
  })
}

/** Runs `probe` again 100 ms after the last one ended, until `until` settles; resolves with every result. */
async function every100ms<T>(until: Promise<unknown>, probe: () => Promise<T>): Promise<T[]> {
  let over = false
  void until.finally(() => (over = true))
  const results: T[] = []
  while (!over) {
    results.push(await probe())
    await sleep(100)
  }
  return results
}

/**
 * Starts `probe` every 100 ms, whether or not the last one was answered, until `until` settles; resolves
 * with every result. Waiting for each would sample a server that stalls only when it answers.
 */
async function on100msTicks<T>(until: Promise<unknown>, probe: () => Promise<T>): Promise<T[]> {
  let over = false
  void until.finally(() => (over = true))
  const started: Array<Promise<T>> = []
  while (!over) {
    started.push(probe())
    await sleep(100)
  }
  return Promise.all(started)
}

const percentile = (sorted: number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN

describe('HTTP/2 rapid reset against one upload', () => {
  let uploadDir: string
  let gateway: GatewayProcess | undefined

  beforeEach(async () => {
    uploadDir = await mkdtemp(join(tmpdir(), 'rg-rapid-reset-'))
  })
  afterEach(async () => {
    await gateway?.stop()
    gateway = undefined
    await rm(uploadDir, { recursive: true, force: true })
  })

  it('leaves the gateway standing: under 300 MiB, every OPTIONS answered, the upload and another served', { timeout: 60_000 }, async () => {
    gateway = await spawnGateway(['--upload-dir', uploadDir, '--log-level', 'warn'])
    const attacked = await createUpload(gateway.url, 1000)
    expect((await patch(attacked, 0, Buffer.alloc(100, 'a'))).status).toBe(204)
    const other = await createUpload(gateway.url, 64 * MiB)

    const attacks = attack(attacked, 8)
    const [report, options, heads, uploaded] = await Promise.all([
      attacks,
      on100msTicks(attacks, () => timedOptions(gateway?.url ?? '')),
      every100ms(attacks, async () => {
        const reply = await send('HEAD', attacked)
        return `${reply.status} ${reply.headers['upload-offset']}`
      }),
      // Another client uploads meanwhile, 256 KiB at a time.
      (async () => {
        const statuses: number[] = []
        await every100ms(attacks, async () => {
          const reply = await patch(other, statuses.length * 256 * 1024, Buffer.alloc(256 * 1024, 'b'))
          statuses.push(reply.status)
        })
        return statuses
      })(),
    ])
    const peak = await memory(gateway.pid, 'VmHWM')
    const answered = options.filter((result): result is number => typeof result === 'number').sort((a, b) => a - b)
    console.log(
      `rapid reset, 8 s: ${report.streams} streams over ${report.connections} connections (GOAWAY ${JSON.stringify(report.goaways)}); ` +
        `peak RSS ${(peak / MiB).toFixed(0)} MiB; OPTIONS p50 ${percentile(answered, 50).toFixed(0)} ms, p99 ${percentile(answered, 99).toFixed(0)} ms, ` +
        `max ${percentile(answered, 100).toFixed(0)} ms (${answered.length}); HEADs ${heads.length}; PATCHes ${uploaded.length}`,
    )

    expect(peak).toBeLessThan(PEAK_RSS_LIMIT)
    expect(options.filter((result) => typeof result !== 'number')).toEqual([])
    expect(new Set(heads)).toEqual(new Set(['200 100']))
    expect(new Set(uploaded)).toEqual(new Set([204]))
    // The attack happened: many more streams than requests any client would send, cut off by the gateway
    // with GOAWAY(ENHANCE_YOUR_CALM), which it logs.
    expect(report.streams).toBeGreaterThan(10_000)
    expect(report.goaways['11'] ?? 0).toBeGreaterThan(0)
    await gateway.waitForStderr(/"event":"http2-rapid-reset"/)
    // After it, everything is as it was.
    expect((await send('HEAD', other)).headers['upload-offset']).toBe(String(uploaded.length * 256 * 1024))
    expect(gateway.child.exitCode).toBeNull()
  })

  it('leaves the gateway standing under a 48 MB heap cap', { timeout: 60_000 }, async () => {
    gateway = await spawnGateway(['--upload-dir', uploadDir, '--log-level', 'silent'], { env: { NODE_OPTIONS: '--max-old-space-size=48' } })
    const attacked = await createUpload(gateway.url, 1000)
    const attacks = attack(attacked, 6)
    const options = await on100msTicks(attacks, () => timedOptions(gateway?.url ?? ''))
    await attacks
    expect(gateway.child.exitCode).toBeNull()
    expect(options.filter((result) => typeof result !== 'number')).toEqual([])
    expect((await send('HEAD', attacked)).headers['upload-offset']).toBe('0')
  })
})
