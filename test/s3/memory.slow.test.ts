import { afterEach, beforeEach, expect, it } from 'vitest'
import { spawnGateway, type GatewayProcess } from '../resilience/gateway-process.js'
import { createUpload } from '../resilience/tus-http.js'
import { describeWithServer } from '../servers/availability.js'
import { freshBucket, MiB, radosgwWithSmallParts, removeBucket } from './s3-support.js'
import { downloadHash, patchGenerated, processMemory } from '../resilience/generated-transfer.js'

// Uploads of 1 GiB, and 8 of 256 MiB at once, through the CLI into S3 (radosgw) with the default part
// size (50 MiB) and buffering (parts on disk, 20 per upload, 10 in flight): the gateway's peak resident
// set stays far below what it uploads. The client generates the bytes as it sends them (1 MiB blocks
// stamped with their index), and the upload is downloaded again and hashed.

const PEAK_RSS_LIMIT = 150 * MiB

describeWithServer('memory of the gateway on S3 (radosgw)', radosgwWithSmallParts(4 * 1024 * MiB), (server) => {
  let bucket: string
  let gateway: GatewayProcess | undefined

  beforeEach(async () => {
    bucket = await freshBucket(server())
    gateway = await spawnGateway(['--log-level', 'warn', '--s3-bucket', bucket, '--s3-endpoint', server().endpoint], {
      env: { AWS_ACCESS_KEY_ID: server().accessKeyId, AWS_SECRET_ACCESS_KEY: server().secretAccessKey },
    })
  })
  afterEach(async () => {
    await gateway?.stop()
    await removeBucket(server(), bucket)
    // radosgw's garbage collector frees deleted data after two hours; the OSD keeps it in RAM until then.
    await server().admin(['gc', 'process', '--include-all'])
  })

  async function uploadAll(sizes: readonly number[]): Promise<void> {
    const running = gateway as GatewayProcess
    const urls = await Promise.all(sizes.map((size) => createUpload(running.url, size)))
    const sent = await Promise.all(urls.map((url, index) => patchGenerated(url, sizes[index] ?? 0, index)))
    // A failure shows the gateway's warnings (S3's errors) with the answer.
    for (const { reply } of sent) expect(reply.status, `${reply.body}\n${running.stderrLines().slice(-20).join('\n')}`).toBe(204)
    const peak = await processMemory(running.pid, 'VmHWM')
    for (const [index, url] of urls.entries()) {
      expect(await downloadHash(url)).toEqual({ bytes: sizes[index], sha256: sent[index]?.sha256 })
    }
    expect(peak, `peak RSS ${Math.round(peak / MiB)} MiB`).toBeLessThan(PEAK_RSS_LIMIT)
  }

  it('stays under 150 MiB while one 1 GiB PATCH streams into S3 in 50 MiB parts', async () => {
    await uploadAll([1024 * MiB])
  }, 300_000)

  it('stays under 150 MiB while 8 PATCHes of 256 MiB stream into S3 at once', async () => {
    await uploadAll(Array.from({ length: 8 }, () => 256 * MiB))
  }, 300_000)
})
