import { BlobServiceClient } from '@azure/storage-blob'
import { afterEach, expect, it } from 'vitest'
import { spawnGateway, type GatewayProcess } from '../resilience/gateway-process.js'
import { createUpload } from '../resilience/tus-http.js'
import { describeWithServer } from '../servers/availability.js'
import { azurite } from '../servers/azurite.js'
import { containerName } from './azure-support.js'
import { downloadHash, patchGenerated, processMemory } from '../resilience/generated-transfer.js'

// Bodies stream into Azure blocks, never whole into memory: a gateway process on Azurite keeps its peak
// resident set around 150 MiB for one 1 GiB upload and for 8 concurrent uploads of 256 MiB, each sent as one
// PATCH and downloaded again (2 GiB through a process that idles at ~80 MiB). The bytes are generated as they
// are sent (1 MiB pieces stamped with their index, so a piece lost, repeated or reordered changes the hash).
//
// Where the memory goes (process.memoryUsage() at the peak, 8 x 256 MiB): the idle gateway with the Azure SDK
// loaded and connected holds ~80 MiB (the file store's ~59, the SDK ~20 more); the store fills blocks in at
// most 16 MiB for every append together (4 MiB blocks, two per append, none kept once idle); node's socket
// reads (a fresh 64 KiB buffer each, freed when V8's external-memory trigger fires) add 40-65 MiB of garbage
// whatever the store (the file store's 8 x 256 MiB peaks at ~131 MiB); the SDK's request objects grow V8's
// young generation by ~20-35 MiB. Peaks measured on the 2-core machine: 138-150 MiB (1 GiB), 155-170 MiB
// (8 x 256 MiB), varying with GC timing. The bounds: what the transfers add (a body held in memory would add
// 256 MiB or more) and the total, with room for that timing.

const MiB = 1024 * 1024
const GROWTH_LIMIT = 112 * MiB
const PEAK_RSS_LIMIT = 184 * MiB

describeWithServer('memory of a gateway on Azure (Azurite)', azurite, (server) => {
  let gateway: GatewayProcess | undefined
  let container: string | undefined
  afterEach(async () => {
    await gateway?.stop()
    gateway = undefined
    if (container !== undefined) await BlobServiceClient.fromConnectionString(server().connectionString).getContainerClient(container).deleteIfExists()
  })

  /** Uploads `count` generated bodies of `size` bytes side by side, downloads them, and returns the gateway's memory. */
  async function transfer(count: number, size: number): Promise<string> {
    container = containerName()
    gateway = await spawnGateway(['--log-level', 'silent'], {
      env: { RESUMABLE_GATEWAY_AZURE_CONTAINER: container, AZURE_STORAGE_CONNECTION_STRING: server().connectionString },
    })
    const { url: collection, pid } = gateway
    const urls = await Promise.all(Array.from({ length: count }, () => createUpload(collection, size)))
    const idle = await processMemory(pid, 'VmRSS')
    const sent = await Promise.all(urls.map((url, seed) => patchGenerated(url, size, seed)))
    for (const { reply } of sent) expect([reply.status, reply.headers['upload-offset']], reply.body).toEqual([204, String(size)])
    const received = await Promise.all(urls.map((url) => downloadHash(url)))
    expect(received).toEqual(sent.map(({ sha256 }) => ({ bytes: size, sha256 })))
    const peak = await processMemory(pid, 'VmHWM')
    const report = `idle ${(idle / MiB).toFixed(1)} MiB, peak ${(peak / MiB).toFixed(1)} MiB`
    expect(peak - idle, report).toBeLessThan(GROWTH_LIMIT)
    expect(peak, report).toBeLessThan(PEAK_RSS_LIMIT)
    return report
  }

  it('streams one 1 GiB PATCH into Azure blocks and back in bounded memory, byte-identical', { timeout: 600_000 }, async () => {
    console.log(`1 x 1 GiB: ${await transfer(1, 1024 * MiB)}`)
  })

  it('streams 8 concurrent PATCHes of 256 MiB into Azure blocks and back in bounded memory, byte-identical', { timeout: 600_000 }, async () => {
    console.log(`8 x 256 MiB: ${await transfer(8, 256 * MiB)}`)
  })
})
