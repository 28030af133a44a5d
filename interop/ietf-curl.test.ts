import { execFile, spawn } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startGateway, type TestGateway } from '../test/support/gateway.js'

const run = promisify(execFile)
const CURL = '/usr/bin/curl'
const sha256 = (data: Buffer): string => createHash('sha256').update(data).digest('hex')

/** The heads curl printed with `-i` (interim ones included), each as status and lower-cased headers. */
function heads(output: string): { status: number; headers: Record<string, string> }[] {
  return output
    .split(/\r\n\r\n/)
    .filter((block) => /^HTTP\/[\d.]+ \d{3}/.test(block))
    .map((block) => {
      const [statusLine = '', ...lines] = block.split('\r\n')
      const headers = Object.fromEntries(
        lines.map((line) => {
          const colon = line.indexOf(':')
          return [line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim()]
        }),
      )
      return { status: Number(statusLine.split(' ')[1]), headers }
    })
}

describe('curl against --experimental-protocol', () => {
  let gateway: TestGateway
  let dir: string
  let base: string
  const data = randomBytes(3 * 1024 * 1024 + 5)

  beforeAll(async () => {
    gateway = await startGateway({ experimentalProtocol: true, progressIntervalMs: 50 })
    base = `http://127.0.0.1:${gateway.port}${gateway.basePath}`
    dir = await mkdtemp(join(tmpdir(), 'rg-curl-'))
    await writeFile(join(dir, 'first'), data.subarray(0, 1024 * 1024))
    await writeFile(join(dir, 'rest'), data.subarray(1024 * 1024))
    await writeFile(join(dir, 'all'), data)
  })
  afterAll(async () => {
    await gateway.close()
    await rm(dir, { recursive: true, force: true })
  })

  it('[R-30] [R-38] creates with a 104 that curl -i shows, resumes with HEAD, completes with PATCH; the bytes are identical', async () => {
    const created = await run(CURL, [
      '-sS', '-i', '-X', 'POST', base,
      '-H', 'Upload-Draft-Interop-Version: 8', '-H', 'Upload-Complete: ?0', '-H', `Upload-Length: ${data.length}`,
      '-H', 'Content-Type: application/octet-stream', '--data-binary', `@${join(dir, 'first')}`,
    ])
    const [announce, ...rest] = heads(created.stdout)
    expect(created.stdout).toMatch(/^HTTP\/1\.1 104 Upload Resumption Supported\r\n/)
    expect(announce?.headers['upload-draft-interop-version']).toBe('8')
    const final = rest.at(-1)
    expect(final?.status).toBe(201)
    const location = final?.headers.location ?? ''
    expect(announce?.headers.location).toBe(location)
    expect(final?.headers['upload-offset']).toBe(String(1024 * 1024))

    const head = heads((await run(CURL, ['-sS', '-I', location, '-H', 'Upload-Draft-Interop-Version: 8'])).stdout)[0]
    expect(head?.status).toBe(204)
    expect(head?.headers['upload-offset']).toBe(String(1024 * 1024))
    expect(head?.headers['upload-complete']).toBe('?0')

    const appended = await run(CURL, [
      '-sS', '-i', '-X', 'PATCH', location,
      '-H', 'Upload-Draft-Interop-Version: 8', '-H', 'Upload-Complete: ?1', '-H', `Upload-Offset: ${1024 * 1024}`,
      '-H', 'Content-Type: application/partial-upload', '-T', join(dir, 'rest'),
    ])
    const done = heads(appended.stdout).at(-1)
    expect(done?.status).toBe(200)
    expect(done?.headers['upload-complete']).toBe('?1')
    const downloaded = await run(CURL, ['-sS', location], { encoding: 'buffer', maxBuffer: 16 * 1024 * 1024 })
    expect(sha256(downloaded.stdout)).toBe(sha256(data))
  })

  it('[R-30] [R-37] over h2c (--http2-prior-knowledge) curl shows the 104 and progress 104s; the bytes are identical', async () => {
    const created = await run(CURL, [
      '-sS', '-i', '--http2-prior-knowledge', '-X', 'POST', base.replace(/\/$/, ''),
      '-H', 'Upload-Draft-Interop-Version: 6', '-H', 'Upload-Complete: ?1', '-H', 'Content-Type: application/octet-stream',
      // Slow enough that the 50 ms progress reports have something to say.
      '--limit-rate', '8M', '-T', join(dir, 'all'),
    ])
    const all = heads(created.stdout)
    expect(all[0]).toMatchObject({ status: 104, headers: { 'upload-draft-interop-version': '6' } })
    const final = all.at(-1)
    expect(final?.status).toBe(201)
    expect(all[0]?.headers.location).toBe(final?.headers.location)
    const progress = all.filter((head) => head.status === 104 && head.headers['upload-offset'] !== undefined)
    expect(progress.length).toBeGreaterThan(0)
    for (const report of progress) expect(report.headers.location).toBeUndefined()
    const downloaded = await run(CURL, ['-sS', final?.headers.location ?? ''], { encoding: 'buffer', maxBuffer: 16 * 1024 * 1024 })
    expect(sha256(downloaded.stdout)).toBe(sha256(data))
  })

  it('[R-64] a chunked creation from stdin (-T -, as the draft-example client streams) completes with every byte', async () => {
    const curl = spawn(CURL, [
      '-sS', '-i', '-X', 'POST', base.replace(/\/$/, ''),
      '-H', 'Upload-Draft-Interop-Version: 5', '-H', 'Upload-Complete: ?1', '-T', '-',
    ])
    let stdout = ''
    curl.stdout.setEncoding('latin1').on('data', (chunk: string) => (stdout += chunk))
    curl.stdin.end(data)
    await new Promise((resolve) => curl.on('close', resolve))
    const all = heads(stdout)
    expect(all[0]?.status).toBe(104)
    const final = all.at(-1)
    expect(final?.headers['upload-complete']).toBe('?1')
    expect(final?.headers['upload-offset']).toBe(String(data.length))
    const downloaded = await run(CURL, ['-sS', final?.headers.location ?? ''], { encoding: 'buffer', maxBuffer: 16 * 1024 * 1024 })
    expect(sha256(downloaded.stdout)).toBe(sha256(data))
  })
})
