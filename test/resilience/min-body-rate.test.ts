import { setTimeout as sleep } from 'node:timers/promises'
import { afterEach, describe, expect, it } from 'vitest'
import { startGateway, type TestGateway } from '../support/gateway.js'
import { createUpload, offsetOf, openPatch } from './tus-http.js'

// --min-body-rate: a body that trickles in below the minimum (never silent long enough for
// --network-timeout) is stopped, and the bytes that arrived are kept, as for a stalled body.

describe('--min-body-rate', () => {
  let gateway: TestGateway | undefined
  afterEach(async () => {
    await gateway?.close()
    gateway = undefined
  })

  it('stops a PATCH trickling below the minimum and keeps its bytes; a faster one completes', async () => {
    gateway = await startGateway({ minBodyRate: 2_000, minBodyRateWindowMs: 1_000 })
    const collection = `http://127.0.0.1:${gateway.port}${gateway.basePath}`
    const url = await createUpload(collection, 100_000)
    const trickle = openPatch(url, 0, 100_000)
    let answered = false
    void trickle.ended.then(() => (answered = true))
    // 100 bytes every 200 ms: 500 bytes/s, a quarter of the minimum, never silent for long.
    for (let i = 0; i < 100 && !answered; i++) {
      await trickle.write(Buffer.alloc(100, 1)).catch(() => {})
      await sleep(200)
    }
    const end = await trickle.ended
    expect(trickle.written).toBeLessThan(100_000)
    // As a body that stalls past --network-timeout: a 500 (clients retry and resume from the stored bytes).
    expect(end).toMatchObject({ status: 500 })
    expect('body' in end ? end.body : '').toContain('below the minimum of 2000 bytes/s')
    const stored = await offsetOf(url)
    expect(stored).toBeGreaterThan(0)
    expect(stored).toBeLessThanOrEqual(trickle.written)

    // 20,000 bytes every 200 ms (100,000 bytes/s) from where it stopped: it goes through.
    const rest = 100_000 - stored
    const fast = openPatch(url, stored, rest)
    for (let sent = 0; sent < rest; sent += 20_000) {
      await fast.write(Buffer.alloc(Math.min(20_000, rest - sent), 2))
      await sleep(200)
    }
    fast.request.end()
    expect(await fast.ended).toMatchObject({ status: 204, headers: { 'upload-offset': '100000' } })
  })
})
