import { randomBytes } from 'node:crypto'
import { BlobServiceClient, StorageSharedKeyCredential, type ContainerClient } from '@azure/storage-blob'
import { beforeAll, expect, it } from 'vitest'
import { describeWithServer } from './availability.js'
import { azurite } from './azurite.js'

// The block-blob calls a resumable Azure store makes, against Azurite started by the harness.

/** Block ids must be base64 and of one length within a blob. */
const blockId = (index: number): string => Buffer.from(`block-${String(index).padStart(6, '0')}`).toString('base64')

async function streamToBuffer(stream: NodeJS.ReadableStream | undefined): Promise<Buffer> {
  if (stream === undefined) throw new Error('the download has no body')
  const chunks: Buffer[] = []
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Uint8Array))
  return Buffer.concat(chunks)
}

describeWithServer('Azurite blob service through @azure/storage-blob', azurite, (server) => {
  let container: ContainerClient
  beforeAll(async () => {
    container = BlobServiceClient.fromConnectionString(server().connectionString).getContainerClient('smoke')
    await container.create()
  })

  it('commits staged blocks and serves a range that spans two of them', async () => {
    const blob = container.getBlockBlobClient('blocks')
    const parts = [randomBytes(70_000), randomBytes(50_000)]
    for (const [index, part] of parts.entries()) await blob.stageBlock(blockId(index), part, part.length)

    const staged = await blob.getBlockList('uncommitted')
    expect(staged.uncommittedBlocks?.map((block) => [block.name, block.size])).toEqual([
      [blockId(0), 70_000],
      [blockId(1), 50_000],
    ])
    await blob.commitBlockList([blockId(0), blockId(1)], { metadata: { offset: '120000' } })

    const download = await blob.download(60_000, 20_000)
    expect(download.contentRange).toBe('bytes 60000-79999/120000')
    expect((await streamToBuffer(download.readableStreamBody)).equals(Buffer.concat(parts).subarray(60_000, 80_000))).toBe(true)
    expect((await blob.getProperties()).metadata).toEqual({ offset: '120000' })
  })

  it('accepts the account key and blob endpoint as separate settings', async () => {
    const { accountName, accountKey, blobEndpoint } = server()
    const service = new BlobServiceClient(blobEndpoint, new StorageSharedKeyCredential(accountName, accountKey))
    const names: string[] = []
    for await (const item of service.listContainers()) names.push(item.name)
    expect(names).toContain('smoke')
  })
})
