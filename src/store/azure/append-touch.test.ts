import { RestError, type BlockBlobClient } from '@azure/storage-blob'
import { describe, expect, it } from 'vitest'
import { StoreUnavailable } from '../../model/errors.js'
import { AzureUpload, type AzureUploadContext } from './azure-upload.js'
import { BlockBuffers } from './block-buffers.js'
import type { BlockCopier } from './block-copier.js'
import type { InfoBlob } from './info-blob.js'

// When an append records its last write's time in `.info` (the call that also proves the upload still exists):
// while its last block is staged, not after, so an append costs one round trip to Azure fewer. Stand-ins for the
// two blobs record the order of the calls; what Azure makes of them is tested against Azurite in test/azure/.

const NEVER = new AbortController().signal

async function* chunks(...parts: string[]): AsyncGenerator<Uint8Array> {
  for (const part of parts) yield Buffer.from(part)
}

/** A handle over stand-in blobs: each block's staging waits for `release`; `touch` is recorded as it starts. */
function handle(stage: (index: number) => Promise<void>) {
  const events: string[] = []
  let stagedCount = 0
  const data = {
    async stageBlock(_id: string, _bytes: Buffer, _length: number) {
      const index = stagedCount++
      events.push(`stage ${index} start`)
      await stage(index)
      events.push(`stage ${index} end`)
      return {}
    },
  } as unknown as BlockBlobClient
  const touches: AbortSignal[] = []
  const info = {
    async touch(_updatedAt: number, signal: AbortSignal) {
      events.push('touch')
      touches.push(signal)
      return 'etag'
    },
  } as unknown as InfoBlob
  const context: AzureUploadContext = {
    buffers: new BlockBuffers(1024),
    copier: {} as BlockCopier,
    blockSize: 4,
    flushGraceMs: 1000,
    accessTier: undefined,
    dataBlob: () => data,
    infoBlob: () => info,
  }
  const upload = new AzureUpload(context, 'id', {
    info: { ID: 'id', Size: 8, SizeIsDeferred: false, Offset: 0, MetaData: {}, IsPartial: false, IsFinal: false, PartialUploads: null, Storage: {} },
    etag: 'etag',
    updatedAt: 0,
    blocks: { offset: 0, finished: false, staged: [] },
  })
  return { upload, events, touches }
}

describe('AzureUpload.append', () => {
  it("records the write's time while the last block is staged, and answers once both are done", async () => {
    let release: () => void = () => undefined
    const last = new Promise<void>((resolve) => (release = resolve))
    const { upload, events } = handle((index) => (index === 1 ? last : Promise.resolve()))
    const appending = upload.append(chunks('abcd', 'efgh'), NEVER)
    while (!events.includes('stage 1 start')) await new Promise((resolve) => setImmediate(resolve))
    await new Promise((resolve) => setImmediate(resolve))
    expect(events).toContain('touch')
    expect(events).not.toContain('stage 1 end')
    release()
    expect((await appending).offset).toBe(8)
    expect(events.indexOf('touch')).toBeLessThan(events.indexOf('stage 1 end'))
  })

  it("calls the record off when a block fails, and answers with Azure's failure and the offset it confirmed", async () => {
    const { upload, touches } = handle((index) => (index === 1 ? Promise.reject(new RestError('busy', { statusCode: 503 })) : Promise.resolve()))
    const failure = await upload.append(chunks('abcd', 'efgh'), NEVER).catch((error: unknown) => error)
    expect(failure).toBeInstanceOf(StoreUnavailable)
    expect((failure as StoreUnavailable).offset).toBe(4)
    expect(touches[0]?.aborted).toBe(true)
  })
})
