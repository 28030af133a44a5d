import { createHash, randomBytes } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import { BlobServiceClient, type ContainerClient } from '@azure/storage-blob'
import { afterEach, expect, it } from 'vitest'
import { spawnGateway, type GatewayProcess } from '../resilience/gateway-process.js'
import { createUpload, idOf, offsetOf, openPatch, send } from '../resilience/tus-http.js'
import { resumeWithTusJsClient } from '../resilience/tus-js-resume.js'
import { describeWithServer } from '../servers/availability.js'
import { azurite } from '../servers/azurite.js'
import { containerName } from './azure-support.js'

// kill -9 of a gateway on Azure in the middle of a PATCH: nothing flushes, nothing cleans up. A restarted
// gateway reads the offset from the blocks Azure holds, so it never claims a byte Azure does not have, and a
// client resuming from it ends with exactly the source's bytes.

const MiB = 1024 * 1024
const SIZE = 12 * MiB
const PIECE = 256 * 1024
const sha256 = (data: Uint8Array): string => createHash('sha256').update(data).digest('hex')

/** The bytes of the uncommitted data blocks of blob `name` (tusd's sentinel left out). */
async function stagedBytes(container: ContainerClient, name: string): Promise<number> {
  const list = await container
    .getBlockBlobClient(name)
    .getBlockList('uncommitted')
    .catch(() => undefined)
  return (list?.uncommittedBlocks ?? []).filter((block) => block.name !== '////fw==').reduce((sum, block) => sum + block.size, 0)
}

describeWithServer('kill -9 of a gateway on Azure during a PATCH', azurite, (server) => {
  const gateways: GatewayProcess[] = []
  afterEach(async () => {
    await Promise.all(gateways.splice(0).map((gateway) => gateway.stop()))
  })

  it('[T-21] keeps an offset Azure holds, and tus-js-client resumes to a byte-identical file', async () => {
    const name = containerName()
    const env = { RESUMABLE_GATEWAY_AZURE_CONTAINER: name, AZURE_STORAGE_CONNECTION_STRING: server().connectionString }
    const start = async (): Promise<GatewayProcess> => {
      const gateway = await spawnGateway(['--log-level', 'silent'], { env })
      gateways.push(gateway)
      return gateway
    }
    const container = BlobServiceClient.fromConnectionString(server().connectionString).getContainerClient(name)
    const data = randomBytes(SIZE)

    const first = await start()
    const url = await createUpload(first.url, SIZE)
    const stream = openPatch(url, 0, SIZE)
    // Two thirds of the body, then wait until Azure holds a block of it (blocks are 4 MiB), and pull the plug
    // while the next block is half filled.
    for (let position = 0; position < (2 * SIZE) / 3; position += PIECE) await stream.write(data.subarray(position, position + PIECE))
    for (let waited = 0; (await stagedBytes(container, idOf(url))) < 4 * MiB; waited += 20) {
      if (waited > 20_000) throw new Error('Azure holds no block of the PATCH after 20 s')
      await sleep(20)
    }
    first.child.kill('SIGKILL')
    expect(await first.exited).toEqual({ code: null, signal: 'SIGKILL' })
    expect(await stream.ended).toHaveProperty('closed')

    const second = await start()
    const resumedUrl = new URL(new URL(url).pathname, second.origin).href
    const offset = await offsetOf(resumedUrl)
    expect(offset).toBeGreaterThanOrEqual(4 * MiB)
    expect(offset).toBeLessThanOrEqual(stream.written)
    expect(offset).toBe(await stagedBytes(container, idOf(url)))

    const requests = await resumeWithTusJsClient(resumedUrl, data)
    expect(requests).toEqual(['HEAD', `PATCH ${offset}`])
    const download = await fetch(resumedUrl)
    expect(download.status).toBe(200)
    expect(sha256(new Uint8Array(await download.arrayBuffer()))).toBe(sha256(data))
    expect((await send('HEAD', resumedUrl)).headers['upload-offset']).toBe(String(SIZE))
    await container.delete()
  })
})
