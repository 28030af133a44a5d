import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { spawnGateway, type GatewayProcess } from '../resilience/gateway-process.js'
import { send } from '../resilience/tus-http.js'

// --hooks-http-retry counts attempts as tusd's HTTP client (pester 1.2.0) does: `MaxRetries` is the number of
// requests, the first included, and 0 is taken as 1. So 0 and 1 both mean one request and no retry.

let workDir: string
const running: { stop(): Promise<unknown> }[] = []

beforeEach(async () => {
  workDir = await mkdtemp(join(tmpdir(), 'hook-attempts-'))
})
afterEach(async () => {
  await Promise.all(running.splice(0).map((process) => process.stop()))
  await rm(workDir, { recursive: true, force: true })
})

/** A hook server on a free port that answers every hook 500 and counts the requests. */
async function failingHookServer(): Promise<{ url: string; attempts: () => number }> {
  let attempts = 0
  const server: Server = createServer((request, response) => {
    request.resume()
    request.on('end', () => {
      attempts += 1
      response.writeHead(500, { 'content-type': 'text/plain' }).end('hook server down')
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  running.push({ stop: () => new Promise((resolve) => server.close(resolve)) })
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, attempts: () => attempts }
}

describe('--hooks-http-retry', () => {
  it.each([
    ['0', 1],
    ['1', 1],
    ['2', 2],
    ['3', 3],
  ])('%s: a hook server answering 500 is asked %i time(s) for one pre-create', async (retry, expected) => {
    const hooks = await failingHookServer()
    const gateway: GatewayProcess = await spawnGateway([
      '--log-level', 'silent', '--upload-dir', join(workDir, 'uploads'),
      '--hooks-http', hooks.url, '--hooks-enabled-events', 'pre-create', '--hooks-http-retry', retry, '--hooks-http-backoff', '20ms',
    ])
    running.push(gateway)
    const created = await send('POST', gateway.url, { 'tus-resumable': '1.0.0', 'upload-length': '1' })
    expect(created.status).toBe(503)
    // Any retry would have come 20 ms after the answer's attempt; give it ten times that.
    await new Promise((resolve) => setTimeout(resolve, 200))
    expect(hooks.attempts()).toBe(expected)
  })
})
