import { execFile } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { startGateway, useStoreForGateways, type TestGateway } from '../support/gateway.js'
import { describeWithServer } from '../servers/availability.js'
import { azurite } from '../servers/azurite.js'
import { azureStore } from './azure-support.js'

// Real clients against a gateway on an AzureStore (Azurite): the interop suites of tus-js-client (chunks,
// parallel uploads, deferred lengths, aborts and resumption, termination) and curl, unchanged (imported after
// `useStoreForGateways`, as the HTTP suites are), and a tus session with curl as a user would type it.

const run = promisify(execFile)
const sha256 = (data: Uint8Array): string => createHash('sha256').update(data).digest('hex')

// Azurite takes bodies at a few tens of MiB/s on a busy 2-core machine: 64 MiB in parallel uploads, then
// concatenated and downloaded, may take longer than the file store's 30 s.
vi.setConfig({ testTimeout: 120_000 })

describeWithServer('clients on an AzureStore (Azurite)', azurite, (server) => {
  beforeAll(() => useStoreForGateways(() => azureStore(server(), { blockSize: 1024 * 1024 })))
  afterAll(() => useStoreForGateways(undefined))

  describe('tus-js-client and curl suites', async () => {
    await import('../../interop/tus-js-client.test.js')
    await import('../../interop/tus-js-client-parallel.test.js')
    await import('../../interop/tus-js-client-options.test.js')
    await import('../../interop/ietf-tus-js-client.test.js')
    await import('../../interop/ietf-curl.test.js')
  })

  describe('curl, tus 1.0.0', () => {
    let gateway: TestGateway
    let dir: string
    const data = randomBytes(5 * 1024 * 1024 + 3)

    beforeAll(async () => {
      gateway = await startGateway()
      dir = await mkdtemp(join(tmpdir(), 'rg-azure-curl-'))
      await writeFile(join(dir, 'first'), data.subarray(0, 3 * 1024 * 1024 + 1))
      await writeFile(join(dir, 'rest'), data.subarray(3 * 1024 * 1024 + 1))
    })
    afterAll(async () => {
      await gateway?.close()
      await rm(dir, { recursive: true, force: true })
    })

    // `Expect:` (empty) stops curl from waiting for a 100 Continue before a large body.
    const curl = async (...args: string[]): Promise<string> =>
      (await run('curl', ['-s', '-S', '-i', '-H', 'Tus-Resumable: 1.0.0', '-H', 'Expect:', ...args], { encoding: 'latin1', maxBuffer: 64 * 1024 * 1024 })).stdout
    const header = (response: string, name: string): string | undefined => new RegExp(`^${name}: *(.*?)\\r?$`, 'im').exec(response.split('\r\n\r\n')[0] ?? '')?.[1]

    it('creates, sends part of a file with -T, resumes from HEAD, and downloads the exact bytes, also a range', async () => {
      const created = await curl('-X', 'POST', '-H', `Upload-Length: ${data.length}`, '-H', 'Upload-Metadata: filename ZGF0YS5iaW4=', `http://127.0.0.1:${gateway.port}/files/`)
      expect(created).toMatch(/^HTTP\/1\.1 201/)
      const url = header(created, 'location') as string
      const first = await curl('-X', 'PATCH', '-H', 'Upload-Offset: 0', '-H', 'Content-Type: application/offset+octet-stream', '-T', join(dir, 'first'), url)
      expect(first).toMatch(/^HTTP\/1\.1 204/)
      const offset = header(await curl('-I', url), 'upload-offset')
      expect(offset).toBe(String(3 * 1024 * 1024 + 1))
      const rest = await curl('-X', 'PATCH', '-H', `Upload-Offset: ${offset}`, '-H', 'Content-Type: application/offset+octet-stream', '-T', join(dir, 'rest'), url)
      expect(header(rest, 'upload-offset')).toBe(String(data.length))
      const whole = await run('curl', ['-s', '-S', '-o', '-', url], { encoding: 'buffer', maxBuffer: 64 * 1024 * 1024 })
      expect(sha256(whole.stdout)).toBe(sha256(data))
      const range = await run('curl', ['-s', '-S', '-r', '1048570-1048585', url], { encoding: 'buffer' })
      expect(range.stdout.equals(data.subarray(1048570, 1048586))).toBe(true)
    })
  })
})
