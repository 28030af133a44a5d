import { mkdtemp, rm } from 'node:fs/promises'
import http from 'node:http'
import http2 from 'node:http2'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { pino } from 'pino'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { createGateway, type Gateway } from '../../src/gateway.js'
import { selfSignedCertificate } from '../support/tls-certificate.js'
import { createUpload, openPatch } from './tus-http.js'

// Node's HTTP/1.1 server ends any request still running after `requestTimeout` (300 s by default since
// Node 18), which would cut every upload longer than five minutes. The gateway turns it off and relies on
// --network-timeout, which counts silence only. Node checks that timeout every 30 s, so waiting 300 s for
// it is not an option: the servers the gateway builds are inspected instead, and the idle timeout is
// shown to let a long, slow body through.

describe("node's request timeout", () => {
  let gateway: Gateway | undefined
  let uploadDir: string | undefined

  afterEach(async () => {
    vi.restoreAllMocks()
    await gateway?.close()
    gateway = undefined
    if (uploadDir !== undefined) await rm(uploadDir, { recursive: true, force: true })
  })

  it('is turned off on the HTTP/1.1 servers, cleartext and TLS, while the head keeps a timeout', async () => {
    const createServer = vi.spyOn(http, 'createServer')
    const createSecureServer = vi.spyOn(http2, 'createSecureServer')
    const { cert, key } = await selfSignedCertificate()
    uploadDir = await mkdtemp(join(tmpdir(), 'rg-request-timeout-'))
    gateway = await createGateway({
      host: '127.0.0.1',
      port: 0,
      uploadDir,
      tls: { cert, key, minVersion: 'TLSv1.2' },
      logger: pino({ level: 'silent' }),
    })
    await gateway.listen()
    const servers = [...createServer.mock.results, ...createSecureServer.mock.results].map(
      (result) => result.value as { requestTimeout: number; headersTimeout: number },
    )
    expect(servers).toHaveLength(2)
    for (const server of servers) {
      expect(server.requestTimeout).toBe(0)
      expect(server.headersTimeout).toBeGreaterThan(0)
    }
  })

  it('[T-20] a body trickling in for 3 s, longer than the 2 s network timeout, still completes', async () => {
    uploadDir = await mkdtemp(join(tmpdir(), 'rg-request-timeout-'))
    gateway = await createGateway({
      host: '127.0.0.1',
      port: 0,
      uploadDir,
      networkTimeoutMs: 2000,
      logger: pino({ level: 'silent' }),
    })
    const url = await createUpload(await gateway.listen(), 8)
    const trickle = openPatch(url, 0, 8)
    for (const byte of '01234567') {
      await trickle.write(Buffer.from(byte))
      await sleep(450)
    }
    expect(await trickle.ended).toMatchObject({ status: 204, headers: { 'upload-offset': '8' } })
  })
})
