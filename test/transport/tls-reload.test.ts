import { execFile, spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import tls from 'node:tls'
import { promisify } from 'node:util'
import { afterAll, beforeAll, expect, it } from 'vitest'

// SIGHUP makes the CLI re-read --tls-cert and --tls-key: connections made afterwards get the new
// certificate, open ones keep theirs, and a pair that does not load leaves the old one in place.
// Runs the built CLI (dist/), as an operator would.

const MAIN = new URL('../../dist/cli/main.js', import.meta.url).pathname

let dir: string
let child: ChildProcess
let port: number
const logLines: string[] = []
let logWaiters: Array<() => void> = []

async function makeCertificate(name: string): Promise<{ cert: string; key: string }> {
  const keyPath = join(dir, `${name}-key.pem`)
  const certPath = join(dir, `${name}-cert.pem`)
  await promisify(execFile)('/usr/bin/openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-keyout', keyPath, '-out', certPath, '-days', '1', '-subj', `/CN=${name}`,
    '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost',
  ])
  return { cert: await readFile(certPath, 'utf8'), key: await readFile(keyPath, 'utf8') }
}

/** The certificate a new TLS connection is served, by its common name; the socket stays open. */
async function served(ca: string[]): Promise<{ name: string; socket: tls.TLSSocket }> {
  const socket = tls.connect({ port, host: '127.0.0.1', servername: 'localhost', ca, ALPNProtocols: ['h2'] })
  await once(socket, 'secureConnect')
  return { name: socket.getPeerCertificate().subject.CN as string, socket }
}

async function logged(message: string): Promise<void> {
  while (!logLines.some((line) => line.includes(message))) await new Promise<void>((resolve) => logWaiters.push(resolve))
}

let first: { cert: string; key: string }
let second: { cert: string; key: string }

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rg-tls-reload-'))
  ;[first, second] = await Promise.all([makeCertificate('first'), makeCertificate('second')])
  await writeFile(join(dir, 'cert.pem'), first.cert)
  await writeFile(join(dir, 'key.pem'), first.key)
  child = spawn(
    process.execPath,
    [MAIN, '--host', '127.0.0.1', '--port', '0', '--upload-dir', join(dir, 'uploads'), '--log-level', 'info',
      '--tls-cert', join(dir, 'cert.pem'), '--tls-key', join(dir, 'key.pem')],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  )
  createInterface({ input: child.stderr! }).on('line', (line) => {
    logLines.push(line)
    const waiters = logWaiters
    logWaiters = []
    for (const wake of waiters) wake()
  })
  const [line] = (await once(createInterface({ input: child.stdout! }), 'line')) as [string]
  port = Number(/:(\d+)\//.exec(line)?.[1])
})

afterAll(async () => {
  if (child.exitCode === null) {
    child.kill('SIGTERM')
    await once(child, 'exit')
  }
  await rm(dir, { recursive: true, force: true })
})

it('serves new connections the reloaded certificate after SIGHUP, and keeps open ones going', async () => {
  const before = await served([first.cert, second.cert])
  expect(before.name).toBe('first')

  await writeFile(join(dir, 'cert.pem'), second.cert)
  await writeFile(join(dir, 'key.pem'), second.key)
  child.kill('SIGHUP')
  await logged('TLS certificate reloaded')

  const after = await served([first.cert, second.cert])
  expect(after.name).toBe('second')
  // The connection made before the reload is still open, with its certificate.
  expect(before.socket.destroyed).toBe(false)
  expect(before.socket.getPeerCertificate().subject.CN).toBe('first')
  before.socket.destroy()
  after.socket.destroy()
})

it('keeps the current certificate when the new pair does not load', async () => {
  // The key of one certificate with the other: setSecureContext refuses it.
  await copyFile(join(dir, `first-cert.pem`), join(dir, 'cert.pem'))
  await writeFile(join(dir, 'key.pem'), second.key)
  child.kill('SIGHUP')
  await logged('TLS certificate reload failed')
  const still = await served([first.cert, second.cert])
  expect(still.name).toBe('second')
  still.socket.destroy()
  expect(child.exitCode).toBe(null)
})
