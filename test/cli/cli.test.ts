import { mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises'
import net from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { buildCommand } from '../../src/cli/options.js'
import { runCli, spawnGateway, type GatewayProcess } from '../resilience/gateway-process.js'
import { createUpload, idOf, send } from '../resilience/tus-http.js'

// The command line as a user meets it: `node dist/cli/main.js` in a real process.

/** A raw connection to the gateway, sending an OPTIONS so it is counted as open. */
async function openHttp1(port: number): Promise<{ socket: net.Socket; received: () => string; closed: Promise<void> }> {
  const socket = net.connect(port, '127.0.0.1')
  let text = ''
  socket.setEncoding('latin1')
  socket.on('data', (part: string) => (text += part))
  socket.on('error', () => {})
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()))
  await new Promise((resolve) => socket.once('connect', resolve))
  return { socket, received: () => text, closed }
}

describe('resumable-gateway command line', () => {
  let workDir: string
  const gateways: GatewayProcess[] = []

  beforeEach(async () => {
    workDir = await mkdtemp(join(tmpdir(), 'rg-cli-'))
  })
  afterEach(async () => {
    await Promise.all(gateways.splice(0).map((gateway) => gateway.stop()))
    await rm(workDir, { recursive: true, force: true })
  })

  const start = async (args: string[], env: Record<string, string> = {}): Promise<GatewayProcess> => {
    const gateway = await spawnGateway(['--log-level', 'silent', ...args], { env })
    gateways.push(gateway)
    return gateway
  }

  it('--help lists every flag and exits 0', async () => {
    const run = await runCli(['--help'])
    expect(run.code).toBe(0)
    // The flags themselves are pinned by src/cli/options.test.ts; here the built binary must print them all.
    const flags = buildCommand('0.0.0-test').options.map((option) => option.long ?? option.flags)
    expect(flags.length).toBeGreaterThanOrEqual(15)
    for (const flag of flags) expect(run.stdout).toContain(flag)
  })

  it('--version prints the package version', async () => {
    const run = await runCli(['--version'])
    expect(run.code).toBe(0)
    expect(run.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/)
  })

  it.each([
    ['--port', 'x'],
    ['--max-size', 'lots'],
    ['--network-timeout', 'soon'],
    ['--log-level', 'loud'],
    ['--max-connections', 'lots'],
    ['--max-connections-per-ip', '-1'],
    ['--min-body-rate', 'slow'],
  ])('%s %s exits non-zero with a message naming the flag', async (flag, value) => {
    const run = await runCli([flag, value, '--upload-dir', join(workDir, 'never')])
    expect(run.code).not.toBe(0)
    expect(run.stderr).toContain(flag)
    expect(run.stderr).toContain(value)
    expect(run.stdout).toBe('')
    // It stopped before opening anything.
    await expect(stat(join(workDir, 'never'))).rejects.toMatchObject({ code: 'ENOENT' })
  })

  it('exits non-zero with a message when the port is taken', async () => {
    const blocker = net.createServer()
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve))
    try {
      const { port } = blocker.address() as net.AddressInfo
      const run = await runCli(['--host', '127.0.0.1', '--port', String(port), '--upload-dir', workDir, '--log-level', 'silent'])
      expect(run.code).toBe(1)
      expect(run.stderr).toMatch(/EADDRINUSE/)
    } finally {
      blocker.close()
    }
  })

  it('exits non-zero with a message when --upload-dir cannot be created', async () => {
    await writeFile(join(workDir, 'a-file'), '')
    const run = await runCli(['--host', '127.0.0.1', '--port', '0', '--upload-dir', join(workDir, 'a-file', 'uploads')])
    expect(run.code).toBe(1)
    expect(run.stderr).toMatch(/^resumable-gateway: .*ENOTDIR/m)
    expect(run.stdout).toBe('')
  })

  it('refuses --tls-cert without --tls-key', async () => {
    const run = await runCli(['--tls-cert', join(workDir, 'cert.pem'), '--upload-dir', workDir])
    expect(run.code).not.toBe(0)
    expect(run.stderr).toContain('--tls-cert and --tls-key go together')
  })

  it.each([
    [['--min-size', '100', '--max-size', '50'], '--min-size', '--max-size'],
    [['--min-append-size', '10', '--max-append-size', '5'], '--min-append-size', '--max-append-size'],
    [['--min-append-size', '1KiB', '--max-size', '1000'], '--min-append-size', '--max-size'],
  ])('%j exits with status 1 and a message naming %s and %s', async (args, lower, upper) => {
    const run = await runCli([...args, '--host', '127.0.0.1', '--port', '0', '--upload-dir', join(workDir, 'never')])
    expect(run.code).toBe(1)
    expect(run.stderr).toContain(lower)
    expect(run.stderr).toContain(upper)
    expect(run.stdout).toBe('')
    await expect(stat(join(workDir, 'never'))).rejects.toMatchObject({ code: 'ENOENT' })
  })

  it('reads RESUMABLE_GATEWAY_PORT=0, and the start-up line shows the real port', async () => {
    const gateway = await start(['--host', '127.0.0.1', '--upload-dir', workDir], { RESUMABLE_GATEWAY_PORT: '0' })
    expect(gateway.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/files\/$/)
    expect(gateway.port).toBeGreaterThan(0)
    const options = await send('OPTIONS', gateway.url)
    expect(options.status).toBe(200)
    expect(options.headers['tus-version']).toBe('1.0.0')
  })

  it('creates a missing --upload-dir, parents included, and stores uploads in it', async () => {
    const uploadDir = join(workDir, 'a', 'b', 'uploads')
    const gateway = await start(['--upload-dir', uploadDir])
    expect((await stat(uploadDir)).isDirectory()).toBe(true)
    const url = await createUpload(gateway.url, 3)
    expect((await readdir(uploadDir)).sort()).toEqual([idOf(url), `${idOf(url)}.info`])
  })

  it('--base-path /up serves the collection at /up/ and nothing at /files/', async () => {
    const gateway = await start(['--upload-dir', workDir, '--base-path', '/up'])
    expect(gateway.url).toBe(`${gateway.origin}/up/`)
    const url = await createUpload(`${gateway.origin}/up/`, 3)
    expect(new URL(url).pathname).toMatch(/^\/up\/[0-9a-f]{32}$/)
    expect((await send('HEAD', url)).status).toBe(200)
    expect((await send('POST', `${gateway.origin}/files/`, { 'upload-length': '3' })).status).toBe(404)
  })

  it('--max-size is announced and enforced', async () => {
    const gateway = await start(['--upload-dir', workDir, '--max-size', '1KiB'])
    expect((await send('OPTIONS', gateway.url)).headers['tus-max-size']).toBe('1024')
    expect((await send('POST', gateway.url, { 'upload-length': '1025' })).status).toBe(413)
    expect((await send('POST', gateway.url, { 'upload-length': '1024' })).status).toBe(201)
  })

  it('--max-connections 2 answers a third connection 503 at once (RESUMABLE_GATEWAY_MAX_CONNECTIONS too)', async () => {
    for (const [args, env] of [
      [['--max-connections', '2'], {}],
      [[], { RESUMABLE_GATEWAY_MAX_CONNECTIONS: '2' }],
    ] as const) {
      const gateway = await start(['--upload-dir', workDir, ...args], env)
      const held = await Promise.all([0, 1].map(() => openHttp1(gateway.port)))
      const third = await openHttp1(gateway.port)
      third.socket.write('OPTIONS /files/ HTTP/1.1\r\nHost: localhost\r\n\r\n')
      await third.closed
      expect(third.received()).toMatch(/^HTTP\/1\.1 503 Service Unavailable\r\n[\s\S]*Retry-After: 5\r\n/)
      for (const connection of held) connection.socket.destroy()
    }
  })

  it('prints only the start-up line on stdout; logs go to stderr', async () => {
    const gateway = await spawnGateway(['--upload-dir', workDir, '--log-level', 'info'])
    gateways.push(gateway)
    await createUpload(gateway.url, 1)
    await gateway.waitForStderr(/"msg":"request"/)
    gateway.child.kill('SIGTERM')
    expect(await gateway.exited).toEqual({ code: 0, signal: null })
    expect(gateway.stdout()).toBe(`resumable-gateway listening on ${gateway.url}\n`)
    expect(gateway.stderrLines().length).toBeGreaterThan(0)
  })
})
