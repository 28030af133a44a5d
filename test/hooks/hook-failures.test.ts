import { mkdtemp, rm } from 'node:fs/promises'
import net from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { exitWithin, spawnGateway, type GatewayProcess } from '../resilience/gateway-process.js'
import { curl, tusMetadata } from './curl.js'
import { MISBEHAVING_HOOK_SERVER, recordedHooks, startPythonHookServer, type PythonHookServer } from './hook-servers.js'

// Hook servers that are down, slow or answer garbage: pre-hooks fail closed with 503 and nothing internal in
// the answer (the cause goes to the log); post-hooks never hold an answer up and drain at shutdown.

const T = ['-H', 'Tus-Resumable: 1.0.0']
const CREATE = ['-X', 'POST', ...T, '-H', 'Upload-Length: 0', '-H', `Upload-Metadata: ${tusMetadata({ filename: 'a' })}`]

let workDir: string
let record: string
const processes: { stop(): Promise<unknown> }[] = []

beforeEach(async () => {
  workDir = await mkdtemp(join(tmpdir(), 'hook-failures-'))
  record = join(workDir, 'hooks.jsonl')
})

afterEach(async () => {
  await Promise.all(processes.splice(0).map((process) => process.stop()))
  await rm(workDir, { recursive: true, force: true })
})

async function misbehaving(args: string[]): Promise<PythonHookServer> {
  const server = await startPythonHookServer(MISBEHAVING_HOOK_SERVER, [...args, '--record', record])
  processes.push(server)
  return server
}

async function gatewayFor(hookUrl: string, args: string[] = []): Promise<GatewayProcess> {
  const gateway = await spawnGateway(['--upload-dir', join(workDir, 'uploads'), '--hooks-http', hookUrl, '--hooks-http-backoff', '50ms', ...args])
  processes.push(gateway)
  return gateway
}

/** A loopback port nobody listens on. */
async function closedPort(): Promise<number> {
  const server = net.createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as net.AddressInfo
  await new Promise((resolve) => server.close(resolve))
  return port
}

/** The request failed closed: 503 with Retry-After, a fixed message, none of the cause's words. */
function expectFailedClosed(reply: { status: number; headers: Record<string, string>; body: string }, cause: RegExp): void {
  expect(reply.status).toBe(503)
  expect(reply.headers['retry-after']).toBe('5')
  expect(reply.body.trim()).toBe('the server could not check this request right now; try again later')
  expect(reply.body).not.toMatch(cause)
}

describe('pre-hooks fail closed', () => {
  it('when the hook server is down (after every attempt), for tus and the draft', async () => {
    const port = await closedPort()
    const gateway = await gatewayFor(`http://127.0.0.1:${port}/`, ['--hooks-http-retry', '2', '--experimental-protocol'])
    expectFailedClosed(await curl(gateway.url, CREATE), /ECONNREFUSED|127\.0\.0\.1/)
    const line = await gateway.waitForStderr(/hook failed; the request fails closed/)
    expect(line).toMatch(/ECONNREFUSED/)
    const draft = await curl(gateway.url, ['-X', 'POST', '-H', 'Upload-Draft-Interop-Version: 8', '-H', 'Upload-Complete: ?1', '--data-binary', 'x'])
    expect(draft.status).toBe(503)
    expect(draft.headers['content-type']).toBe('application/problem+json')
    expect(draft.body).not.toMatch(/ECONNREFUSED/)
  })

  it('when the hook server is too slow: the timeout covers every attempt', async () => {
    const server = await misbehaving(['--mode', 'slow', '--delay', '5'])
    const gateway = await gatewayFor(server.url, ['--hooks-http-timeout', '300ms'])
    expectFailedClosed(await curl(gateway.url, CREATE), /300 ms|timed out/)
    expect(await gateway.waitForStderr(/hook failed/)).toMatch(/did not answer within 300 ms/)
    expect(await recordedHooks(record)).toHaveLength(1)
  })

  it('when the hook server answers garbage, or JSON that is not labelled so', async () => {
    const garbage = await misbehaving(['--mode', 'garbage'])
    const gateway = await gatewayFor(garbage.url)
    expectFailedClosed(await curl(gateway.url, CREATE), /html|parse/i)
    expect(await gateway.waitForStderr(/hook failed/)).toMatch(/failed to parse hook response/)
    const text = await startPythonHookServer(MISBEHAVING_HOOK_SERVER, ['--mode', 'text'])
    processes.push(text)
    const other = await gatewayFor(text.url)
    expectFailedClosed(await curl(other.url, CREATE), /Content-Type/)
    expect(await other.waitForStderr(/hook failed/)).toMatch(/expected hook response Content-Type to be application\/json/)
  })

  it('when the hook server answers 5xx: tried --hooks-http-retry times in all', async () => {
    const server = await misbehaving(['--mode', 'status', '--status', '500'])
    const gateway = await gatewayFor(server.url, ['--hooks-http-retry', '3'])
    expectFailedClosed(await curl(gateway.url, CREATE), /database/)
    expect(await gateway.waitForStderr(/hook failed/)).toMatch(/unexpected response code from hook endpoint \(500\): database is down/)
    expect((await recordedHooks(record)).map((hook) => hook.Type)).toEqual(['pre-create', 'pre-create', 'pre-create'])
  })
})

describe('post-hooks', () => {
  it('never hold an answer up, however slow the hook server', async () => {
    const server = await misbehaving(['--mode', 'slow', '--delay', '60'])
    const gateway = await gatewayFor(server.url, ['--hooks-enabled-events', 'post-create,post-finish', '--hooks-http-timeout', '120s'])
    const created = await curl(gateway.url, CREATE)
    expect(created.status).toBe(201)
    // The hook server holds the post-create it got; the client had its answer anyway.
    await expect.poll(async () => (await recordedHooks(record)).map((hook) => hook.Type)).toEqual(['post-create'])
  })

  it('that fail are tried again, and what is left at shutdown is logged as not delivered', async () => {
    const server = await misbehaving(['--mode', 'status', '--status', '500'])
    const gateway = await gatewayFor(server.url, ['--hooks-enabled-events', 'post-create', '--hooks-http-retry', '1', '--shutdown-timeout', '500ms'])
    const created = await curl(gateway.url, CREATE)
    expect(created.status).toBe(201)
    const id = (created.headers.location as string).split('/').pop() as string
    // The first try and, a second later, the second.
    await expect.poll(async () => (await recordedHooks(record)).length, { timeout: 5000 }).toBeGreaterThanOrEqual(2)
    expect(await gateway.waitForStderr(/post-hook failed/)).toMatch(/unexpected response code/)
    gateway.child.kill('SIGTERM')
    expect(await exitWithin(gateway, 5000)).toEqual({ code: 0, signal: null })
    const line = gateway.stderrLines().find((text) => text.includes('post-hook not delivered')) as string
    expect(JSON.parse(line)).toMatchObject({ hook: 'post-create', uploadId: id, reason: 'shutdown' })
  })

  it('still queued at shutdown are delivered within --shutdown-timeout', async () => {
    const server = await misbehaving(['--mode', 'slow', '--delay', '0.3'])
    const gateway = await gatewayFor(server.url, ['--hooks-enabled-events', 'post-create,post-finish', '--shutdown-timeout', '20s'])
    for (let n = 0; n < 3; n += 1) expect((await curl(gateway.url, CREATE)).status).toBe(201)
    gateway.child.kill('SIGTERM')
    expect(await exitWithin(gateway, 20_000)).toEqual({ code: 0, signal: null })
    const delivered = (await recordedHooks(record)).map((hook) => hook.Type)
    expect(delivered.sort()).toEqual(['post-create', 'post-create', 'post-create', 'post-finish', 'post-finish', 'post-finish'])
    expect(gateway.stderrLines().some((text) => text.includes('not delivered'))).toBe(false)
  })
})
