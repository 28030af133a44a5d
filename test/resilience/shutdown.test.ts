import { mkdtemp, rm } from 'node:fs/promises'
import http from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { exitWithin, spawnGateway, type GatewayProcess } from './gateway-process.js'
import { connect } from './tcp-connect.js'
import { createUpload, idOf, offsetOf, openPatch, patch, waitForStoredBytes } from './tus-http.js'

// SIGINT / SIGTERM: the gateway stops accepting connections, asks every in-flight upload to save what it
// has (they answer 503, which tus clients retry), and exits 0 once they are done, or when
// --shutdown-timeout runs out, whichever comes first.

// Far more than the socket buffers hold: a download of it whose client stops reading stays in flight.
const DOWNLOAD_SIZE = 32 * 1024 * 1024

describe('graceful shutdown', () => {
  let uploadDir: string
  const gateways: GatewayProcess[] = []

  beforeEach(async () => {
    uploadDir = await mkdtemp(join(tmpdir(), 'rg-shutdown-'))
  })
  afterEach(async () => {
    await Promise.all(gateways.splice(0).map((gateway) => gateway.stop()))
    await rm(uploadDir, { recursive: true, force: true })
  })

  const start = async (...args: string[]): Promise<GatewayProcess> => {
    const gateway = await spawnGateway(['--upload-dir', uploadDir, ...args])
    gateways.push(gateway)
    return gateway
  }

  it.each(['SIGINT', 'SIGTERM'] as const)(
    '%s answers an in-flight PATCH 503, keeps its bytes, and exits 0 without waiting for the shutdown timeout',
    async (signal) => {
      const gateway = await start('--log-level', 'silent', '--shutdown-timeout', '1m', '--network-timeout', '1h')
      const url = await createUpload(gateway.url, 1024 * 1024)
      const streaming = openPatch(url, 0, 1024 * 1024)
      await streaming.write(Buffer.alloc(100 * 1024, 's'))
      await waitForStoredBytes(uploadDir, idOf(url), 100 * 1024)

      gateway.child.kill(signal)
      const end = await streaming.ended
      expect(end).toMatchObject({ status: 503, headers: { 'retry-after': '5', 'upload-offset': String(100 * 1024) } })
      expect((end as { body: string }).body).toContain(`shutting down; ${100 * 1024} bytes are stored`)
      streaming.request.destroy()
      // The only request in flight has answered: nothing is left to wait for (the timeout is a minute).
      expect(await exitWithin(gateway, 20_000)).toEqual({ code: 0, signal: null })

      const restarted = await start('--log-level', 'silent')
      expect(await offsetOf(new URL(new URL(url).pathname, restarted.origin).href)).toBe(100 * 1024)
    },
  )

  it('refuses new connections after the signal, and exits 0 after --shutdown-timeout even if a client never reads', async () => {
    const gateway = await start('--log-level', 'info', '--shutdown-timeout', '1s')
    const response = await stalledDownload(gateway)

    gateway.child.kill('SIGTERM')
    await gateway.waitForStderr(/"msg":"shutting down"/)
    await expect(connect(gateway.port)).rejects.toMatchObject({ code: 'ECONNREFUSED' })

    expect(await exitWithin(gateway, 20_000)).toEqual({ code: 0, signal: null })
    // The stuck download was cut when the timeout ran out: reading on, its client finds it incomplete.
    let received = 0
    response.on('data', (chunk: Buffer) => (received += chunk.byteLength)).resume()
    await new Promise((resolve) => response.once('close', resolve))
    expect(response.complete).toBe(false)
    expect(received).toBeLessThan(DOWNLOAD_SIZE)
  })

  it('exits at once with status 1 on a second signal', async () => {
    const gateway = await start('--log-level', 'info', '--shutdown-timeout', '1h')
    // A download nobody reads keeps the first shutdown waiting (for an hour).
    const response = await stalledDownload(gateway)

    gateway.child.kill('SIGTERM')
    await gateway.waitForStderr(/"msg":"shutting down"/)
    gateway.child.kill('SIGTERM')
    expect(await exitWithin(gateway, 20_000)).toEqual({ code: 1, signal: null })
    response.destroy()
  })
})

/** Uploads DOWNLOAD_SIZE bytes, then starts downloading them with a client that does not read. */
async function stalledDownload(gateway: GatewayProcess): Promise<http.IncomingMessage> {
  const url = await createUpload(gateway.url, DOWNLOAD_SIZE)
  expect((await patch(url, 0, Buffer.alloc(DOWNLOAD_SIZE, 'd'))).status).toBe(204)
  const response = await new Promise<http.IncomingMessage>((resolve, reject) => {
    http.get(url, { agent: false }, resolve).once('error', reject)
  })
  response.pause()
  return response
}
