import { describe, expect, it } from 'vitest'
import { MemoryLocker } from '../lock/memory-locker.js'
import { HookRejected, ShuttingDown, UploadNotFound } from '../model/errors.js'
import { ClientGone, ShutdownRequested } from '../model/stop-reasons.js'
import { MemoryStore } from '../store/memory/memory-store.js'
import type { MemoryUpload } from '../store/memory/memory-upload.js'
import type { UploadHooks } from './hooks.js'
import { UploadService, type RequestContext } from './service.js'

// Concurrent status reads of one upload share one lock wait and one store read (issue 10, item 1), without
// weakening what a status means: it sees every byte kept before it arrived.

/** A memory store that counts `open` calls and can hold the next one until the test lets it go. */
class GatedStore extends MemoryStore {
  opens = 0
  #gate: Promise<void> | undefined

  /** Holds the next `open` (whoever calls it) until the returned function is called. */
  holdNextOpen(): () => void {
    let release!: () => void
    this.#gate = new Promise<void>((resolve) => (release = resolve))
    return release
  }

  override async open(id: string, signal: AbortSignal): Promise<MemoryUpload> {
    this.opens += 1
    const gate = this.#gate
    this.#gate = undefined
    if (gate !== undefined) await gate
    return super.open(id, signal)
  }
}

async function* stalling(part: string, stalled: () => void): AsyncGenerator<Uint8Array> {
  yield Buffer.from(part)
  stalled()
  await new Promise<never>(() => {})
}

const context = (signal = new AbortController().signal): RequestContext => ({ signal })

/** Lets every pending promise callback and timer of this turn run. */
const settle = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 20))

function setUp(options: { maxWaiters?: number; hooks?: UploadHooks } = {}): { store: GatedStore; service: UploadService } {
  const store = new GatedStore()
  const locker = new MemoryLocker({ maxWaiters: options.maxWaiters ?? 64 })
  const service = new UploadService({ store, locker, maxSize: 0, acquireLockTimeoutMs: 10_000, networkTimeoutMs: 0, hooks: options.hooks })
  return { store, service }
}

describe('status reads of one upload', () => {
  it('share one lock wait and one store read while a PATCH holds the upload, and report the bytes it kept', async () => {
    // One waiter allowed: twenty requests sharing it are never refused.
    const { store, service } = setUp({ maxWaiters: 1 })
    const { upload } = await service.create({ length: 100, metadata: {} }, context())
    let stalled!: () => void
    const bodyStalled = new Promise<void>((resolve) => (stalled = resolve))
    const append = service.append(upload.id, { offset: 0, body: stalling('abcd', stalled) }, context())
    append.catch(() => {})
    await bodyStalled
    const opensBefore = store.opens
    const statuses = await Promise.all(Array.from({ length: 20 }, () => service.status(upload.id, context())))
    expect(statuses.map((status) => status.offset)).toEqual(Array(20).fill(4))
    expect(store.opens - opensBefore).toBe(1)
  })

  it('are not shared with a read that has started: a later status reads again and sees what came between', async () => {
    const { store, service } = setUp()
    const { upload } = await service.create({ length: 100, metadata: {} }, context())
    const release = store.holdNextOpen()
    const first = service.status(upload.id, context())
    await settle()
    // The first read holds the lock, inside the store. A DELETE waits for it, then a second status.
    const terminated = service.terminate(upload.id, context())
    await settle()
    const second = service.status(upload.id, context())
    second.catch(() => {})
    await settle()
    release()
    expect((await first).offset).toBe(0)
    await terminated
    await expect(second).rejects.toBeInstanceOf(UploadNotFound)
  })

  it('let a request that goes away leave at once; a read all its requests left gives up its place in the queue', async () => {
    const { store, service } = setUp({ maxWaiters: 1 })
    const { upload } = await service.create({ length: 100, metadata: {} }, context())
    const release = store.holdNextOpen()
    const holder = service.status(upload.id, context())
    await settle()
    const requests = [new AbortController(), new AbortController(), new AbortController()]
    const waiting = requests.map((request) => service.status(upload.id, context(request.signal)))
    await settle()
    for (const request of requests) request.abort(new ClientGone())
    for (const status of waiting) await expect(status).rejects.toBeInstanceOf(ClientGone)
    // The one place in the queue is free again: a DELETE waits there (instead of LockBusy) and runs.
    const opens = store.opens
    const terminated = service.terminate(upload.id, context())
    await settle()
    release()
    await holder
    await expect(terminated).resolves.toBeUndefined()
    // The abandoned read never opened the upload.
    expect(store.opens - opens).toBe(1)
  })

  it('tell a request that leaves at shutdown that the server is shutting down', async () => {
    const { store, service } = setUp()
    const { upload } = await service.create({ length: 100, metadata: {} }, context())
    const release = store.holdNextOpen()
    const holder = service.status(upload.id, context())
    await settle()
    const request = new AbortController()
    const waiting = service.status(upload.id, context(request.signal))
    const staying = service.status(upload.id, context())
    await settle()
    request.abort(new ShutdownRequested())
    await expect(waiting).rejects.toBeInstanceOf(ShuttingDown)
    release()
    await holder
    expect((await staying).offset).toBe(0)
  })

  it('still ask pre-access for every request, and a refused one leaves the others alone', async () => {
    const seen: string[] = []
    const hooks: UploadHooks = {
      preAccess: async ({ request }) => {
        const name = String(request?.headers['x-name']?.[0])
        seen.push(name)
        if (name === 'mallory') throw new HookRejected('pre-access', { status: 403 })
      },
    }
    const { service } = setUp({ hooks })
    const { upload } = await service.create({ length: 10, metadata: {} }, context())
    const asking = (name: string): RequestContext => ({
      signal: new AbortController().signal,
      request: { protocol: 'tus-v1', method: 'HEAD', uri: `/files/${upload.id}`, headers: { 'x-name': [name] } },
    })
    const results = await Promise.allSettled(['alice', 'mallory', 'bob'].map((name) => service.status(upload.id, asking(name))))
    expect(seen.filter((name) => name !== 'undefined').sort()).toEqual(['alice', 'bob', 'mallory'])
    expect(results.map((result) => result.status)).toEqual(['fulfilled', 'rejected', 'fulfilled'])
  })
})
