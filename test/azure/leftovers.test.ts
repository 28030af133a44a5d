import { afterEach, expect, it } from 'vitest'
import type { AzureStore } from '../../src/store/azure/azure-store.js'
import { describeWithServer } from '../servers/availability.js'
import { azurite } from '../servers/azurite.js'
import { azureStore } from './azure-support.js'
import { writeTusdUpload } from './tusd-container.js'

const NEVER = new AbortController().signal

async function* body(text: string): AsyncGenerator<Uint8Array> {
  yield Buffer.from(text)
}

async function names(store: AzureStore): Promise<string[]> {
  const listed: string[] = []
  for await (const blob of store.container.listBlobsFlat({ includeUncommitedBlobs: true })) listed.push(blob.name)
  return listed.sort()
}

// What crashes leave in a container: data blobs whose upload (`.info`) is gone. The sweep removes those, once
// old enough, and nothing an upload still uses, tusd's included.

describeWithServer('AzureStore.sweepLeftovers on Azurite', azurite, (server) => {
  let cleanup: (() => Promise<void>) | undefined
  afterEach(async () => {
    await cleanup?.()
  })

  async function setUp(leftoverGraceMs: number): Promise<{ store: AzureStore; kept: string[] }> {
    const made = await azureStore(server(), { objectPrefix: 'up', leftoverGraceMs })
    cleanup = made.cleanup
    const { store } = made
    // Uploads that are there: unfinished, finished, empty, and one written by tusd.
    const unfinished = await store.create({ id: 'a'.repeat(32), length: 10, metadata: {} }, NEVER)
    await unfinished.append(body('abc'), NEVER)
    const finished = await store.create({ id: 'b'.repeat(32), length: 3, metadata: {} }, NEVER)
    await finished.append(body('xyz'), NEVER)
    await finished.finish(NEVER)
    await store.create({ id: 'c'.repeat(32), metadata: {} }, NEVER)
    await writeTusdUpload(store.container, 'up', { id: 'd'.repeat(32), size: 4, metadata: {}, patches: ['ab'], finished: false, sentinel: true })
    const kept = await names(store)
    // A termination that stopped after removing `.info`: a committed blob and an unfinished one are left.
    const gone = await store.create({ id: 'e'.repeat(32), length: 4, metadata: {} }, NEVER)
    await gone.append(body('1234'), NEVER)
    await gone.finish(NEVER)
    await store.container.getBlockBlobClient(`up/${'e'.repeat(32)}.info`).delete()
    const half = await store.create({ id: 'f'.repeat(32), length: 9, metadata: {} }, NEVER)
    await half.append(body('12'), NEVER)
    await store.container.getBlockBlobClient(`up/${'f'.repeat(32)}.info`).delete()
    return { store, kept }
  }

  it('removes data blobs without .info, committed or not, and nothing else', async () => {
    const { store, kept } = await setUp(0)
    expect(await store.sweepLeftovers(NEVER)).toBe(4)
    expect(await names(store)).toEqual(kept)
    // The uploads still work.
    expect((await store.open('a'.repeat(32), NEVER)).state.offset).toBe(3)
    expect((await store.open('d'.repeat(32), NEVER)).state.offset).toBe(2)
  })

  it('leaves leftovers younger than the grace period', async () => {
    const { store } = await setUp(10 * 60 * 1000)
    const before = await names(store)
    expect(await store.sweepLeftovers(NEVER)).toBe(0)
    expect(await names(store)).toEqual(before)
  })
})
