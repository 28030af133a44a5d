import { describe, expect, it } from 'vitest'
import { MemoryLocker } from '../lock/memory-locker.js'
import { UploadInterrupted } from '../model/errors.js'
import { MemoryStore } from '../store/memory/memory-store.js'
import { UploadService, type RequestContext } from './service.js'

// A lock handed to a request while others still wait for it comes already asked to release (so that a
// queue of short requests never waits behind a long one). An append granted so must answer that it was
// interrupted, with what it stored: never a success that stored nothing, and never a completion.

const context = (): RequestContext => ({ signal: new AbortController().signal })

async function* body(text: string): AsyncGenerator<Uint8Array> {
  yield Buffer.from(text)
}

describe('an append whose lock is asked to release before it reads its body', () => {
  async function setUp(length: number | undefined): Promise<{ service: UploadService; locker: MemoryLocker; store: MemoryStore; id: string }> {
    const store = new MemoryStore()
    const locker = new MemoryLocker()
    const service = new UploadService({ store, locker, maxSize: 0, acquireLockTimeoutMs: 10_000, networkTimeoutMs: 0 })
    const { upload } = await service.create({ length, metadata: {} }, context())
    return { service, locker, store, id: upload.id }
  }

  it('answers UploadInterrupted at the stored offset and stores nothing, rather than a success', async () => {
    const { service, locker, store, id } = await setUp(100)
    const holder = await locker.acquire(id, { signal: new AbortController().signal })
    const appended = service.append(id, { offset: 0, body: body('abc') }, context())
    appended.catch(() => {})
    await new Promise((resolve) => setTimeout(resolve, 10))
    // A status request waits behind the append: the append is granted the lock already asked to let go.
    const status = service.status(id, context())
    await new Promise((resolve) => setTimeout(resolve, 10))
    await holder.release()
    await expect(appended).rejects.toBeInstanceOf(UploadInterrupted)
    await expect(appended).rejects.toMatchObject({ offset: 0 })
    expect((await status).offset).toBe(0)
    expect(store.bytesOf(id).length).toBe(0)
  })

  it('does not complete an upload of deferred length when the client said this append completes it (draft Upload-Complete: ?1)', async () => {
    const { service, locker, id } = await setUp(undefined)
    const holder = await locker.acquire(id, { signal: new AbortController().signal })
    const appended = service.append(id, { offset: 0, body: body('abc'), complete: true }, context())
    appended.catch(() => {})
    await new Promise((resolve) => setTimeout(resolve, 10))
    const status = service.status(id, context())
    await new Promise((resolve) => setTimeout(resolve, 10))
    await holder.release()
    await expect(appended).rejects.toBeInstanceOf(UploadInterrupted)
    const upload = await status
    expect(upload.length).toBeUndefined()
    expect(upload.offset).toBe(0)
  })
})
