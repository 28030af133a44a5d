import { execFile, spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { mkdtemp, readFile, rm, truncate, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

// A large upload streams through the gateway: its memory stays flat however big the body, over
// HTTP/1.1 and over h2c with the large HTTP/2 windows. Measured as the built CLI's peak resident
// set (VmHWM), with curl as the client. Linux only (/proc).

const MAIN = new URL('../../dist/cli/main.js', import.meta.url).pathname
const SIZE = 256 * 1024 * 1024
const LIMIT_MIB = 150

let dir: string
let file: string
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rg-memory-'))
  file = join(dir, 'body')
  // A sparse file: curl reads 256 MiB of zeros without them costing any disk.
  await writeFile(file, '')
  await truncate(file, SIZE)
})
afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

async function startCli(uploads: string): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [MAIN, '--host', '127.0.0.1', '--port', '0', '--upload-dir', uploads, '--log-level', 'silent'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  const [line] = (await once(createInterface({ input: child.stdout! }), 'line')) as [string]
  return { child, url: line.replace(/^.* on /, '') }
}

async function peakRssMiB(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8')
  return Number(/^VmHWM:\s+(\d+) kB/m.exec(status)?.[1]) / 1024
}

describe.each([
  { name: 'HTTP/1.1', flag: '--http1.1' },
  { name: 'h2c', flag: '--http2-prior-knowledge' },
])('a 256 MiB upload over $name', ({ flag }) => {
  it(`keeps the gateway's peak memory under ${LIMIT_MIB} MiB`, async () => {
    const { child, url } = await startCli(join(dir, `uploads-${flag}`))
    try {
      const curl = (...args: string[]): Promise<{ stdout: string }> => promisify(execFile)('/usr/bin/curl', ['-sS', flag, ...args])
      const created = await curl('-X', 'POST', '-H', 'Tus-Resumable: 1.0.0', '-H', `Upload-Length: ${SIZE}`, '-D', '-', '-o', '/dev/null', url)
      const location = /^location: (\S+)/im.exec(created.stdout)?.[1] as string
      const patched = await curl(
        '-X', 'PATCH', '-T', file, '-H', 'Tus-Resumable: 1.0.0', '-H', 'Upload-Offset: 0', '-H', 'Expect:',
        '-H', 'Content-Type: application/offset+octet-stream', '-o', '/dev/null', '-w', '%{http_code}', location,
      )
      expect(patched.stdout).toBe('204')
      expect(await peakRssMiB(child.pid!)).toBeLessThan(LIMIT_MIB)
    } finally {
      child.kill('SIGTERM')
      await once(child, 'exit')
    }
  })
})
