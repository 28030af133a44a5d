import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { spawnGateway, type GatewayProcess } from './gateway-process.js'
import { createUpload } from './tus-http.js'
import { downloadHash, patchGenerated, processMemory } from './generated-transfer.js'

// A 1 GiB upload is streamed from generator to disk: the gateway never holds a body in memory, so its
// peak resident set stays far below the upload's size. The client generates the bytes as it sends them
// (1 MiB blocks, each stamped with its index, so a block lost, repeated or reordered changes the hash).
//
// The bounds: the idle gateway holds ~57 MiB (node itself ~41, pino, commander, http2). Streaming at
// loopback speed adds ~45 MiB that is not ours: node allocates a fresh buffer for every socket read and
// V8 frees them only when its external-memory trigger fires (a bare node:http server that discards the
// body grows just as much). So the peak lands at ~100 MiB, and the test bounds what the transfer adds
// (a body held in memory would add 1 GiB) and the total, with room for GC timing.

const MiB = 1024 * 1024
const SIZE = 1024 * MiB
const GROWTH_LIMIT = 64 * MiB
const PEAK_RSS_LIMIT = 128 * MiB

describe('memory', () => {
  let uploadDir: string
  let gateway: GatewayProcess | undefined

  beforeEach(async () => {
    uploadDir = await mkdtemp(join(tmpdir(), 'rg-memory-'))
  })
  afterEach(async () => {
    await gateway?.stop()
    gateway = undefined
    await rm(uploadDir, { recursive: true, force: true })
  })

  it('streams a 1 GiB HTTP/1.1 PATCH to disk and back in bounded memory, byte-identical', { timeout: 300_000 }, async () => {
    gateway = await spawnGateway(['--upload-dir', uploadDir, '--log-level', 'silent'])
    const url = await createUpload(gateway.url, SIZE)
    const idle = await processMemory(gateway.pid, 'VmRSS')

    const { reply, sha256 } = await patchGenerated(url, SIZE)
    expect(reply.status).toBe(204)
    expect(reply.headers['upload-offset']).toBe(String(SIZE))
    const download = await downloadHash(url)
    expect(download.bytes).toBe(SIZE)
    expect(download.sha256).toBe(sha256)

    const peak = await processMemory(gateway.pid, 'VmHWM')
    const report = `idle ${(idle / MiB).toFixed(1)} MiB, peak ${(peak / MiB).toFixed(1)} MiB`
    expect(peak - idle, report).toBeLessThan(GROWTH_LIMIT)
    expect(peak, report).toBeLessThan(PEAK_RSS_LIMIT)
  })
})
