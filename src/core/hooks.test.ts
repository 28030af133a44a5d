import { subscribe, unsubscribe } from 'node:diagnostics_channel'
import { beforeEach, describe, expect, it } from 'vitest'
import { MemoryLocker } from '../lock/memory-locker.js'
import { HookFailed, HookRejected, UploadInterrupted, UploadNotFound, UploadStopped } from '../model/errors.js'
import type { RequestInfo } from '../model/request-info.js'
import { MemoryStore } from '../store/memory/memory-store.js'
import type { RequestContext } from './commands.js'
import { UPLOAD_EVENTS_CHANNEL, UploadEvents, type LifecycleEvent } from './events.js'
import type { AccessEvent, UploadHooks } from './hooks.js'
import { UploadService } from './service.js'

const request: RequestInfo = { protocol: 'tus-v1', method: 'PATCH', uri: '/files/x', remoteAddress: '127.0.0.1:5000', headers: { 'tus-resumable': ['1.0.0'] } }
const context = (): RequestContext => ({ signal: new AbortController().signal, request })

async function* chunks(...parts: string[]): AsyncGenerator<Uint8Array> {
  for (const part of parts) yield Buffer.from(part)
}

/** Yields `parts`, then waits until `release()`; `stalled` resolves once every part is taken. */
function stallingBody(...parts: string[]): { body: AsyncIterable<Uint8Array>; stalled: Promise<void>; release: () => void } {
  let markStalled!: () => void
  let release!: () => void
  const stalled = new Promise<void>((resolve) => (markStalled = resolve))
  const released = new Promise<void>((resolve) => (release = resolve))
  async function* body(): AsyncGenerator<Uint8Array> {
    for (const part of parts) yield Buffer.from(part)
    markStalled()
    await released
  }
  return { body: body(), stalled, release }
}

describe('hook seams, events and stop requests of the upload service', () => {
  let store: MemoryStore
  let events: LifecycleEvent[]

  function service(hooks: UploadHooks = {}, bus = new UploadEvents()): UploadService {
    bus.subscribe((event) => void events.push(event))
    return new UploadService({ store, locker: new MemoryLocker(), hooks, events: bus, maxSize: 0, acquireLockTimeoutMs: 2_000, networkTimeoutMs: 0, progressIntervalMs: 20 })
  }

  beforeEach(() => {
    store = new MemoryStore()
    events = []
  })

  it('asks pre-access before every request touches an upload, with the action, the upload and the request facts', async () => {
    const asked: AccessEvent[] = []
    const uploads = service({ preAccess: async (event) => void asked.push(event) })
    const { upload } = await uploads.create({ length: 3, metadata: {} }, context())
    await uploads.append(upload.id, { offset: 0, body: chunks('abc') }, context())
    await uploads.status(upload.id, context())
    await uploads.read(upload.id, () => undefined, context())
    await uploads.terminate(upload.id, context())
    expect(asked.map((event) => event.action)).toEqual(['create', 'append', 'status', 'read', 'terminate'])
    expect(asked[0]?.upload).toBeUndefined()
    expect(asked[1]?.upload).toMatchObject({ id: upload.id, offset: 0 })
    expect(asked[2]?.request).toBe(request)
  })

  it('lets pre-access refuse before the lock is asked for: a running append is not interrupted', async () => {
    let refuse = false
    const uploads = service({
      preAccess: async () => {
        if (refuse) throw new HookRejected('pre-access', { status: 401, body: 'who are you?' })
      },
    })
    const { upload } = await uploads.create({ length: 10, metadata: {} }, context())
    const source = stallingBody('ab')
    const running = uploads.append(upload.id, { offset: 0, body: source.body }, context())
    await source.stalled
    refuse = true
    await expect(uploads.status(upload.id, context())).rejects.toMatchObject({ code: 'HOOK_REJECTED', answer: { status: 401 } })
    source.release()
    expect((await running).upload.offset).toBe(2)
  })

  it('lets pre-create refuse (nothing is created), or choose the id and the metadata and shape the answer', async () => {
    const refusing = service({ preCreate: async () => Promise.reject(new HookRejected('pre-create')) })
    await expect(refusing.create({ length: 1, metadata: {} }, context())).rejects.toBeInstanceOf(HookRejected)
    expect(events).toEqual([])
    const shaping = service({
      preCreate: async (event) => {
        expect(event.upload).toMatchObject({ length: 2, metadata: { name: 'a' } })
        expect(event.request).toBe(request)
        return { id: 'chosen-id', metadata: { name: 'b' }, answer: { headers: { 'x-hook': 'yes' } } }
      },
    })
    const { upload, answer } = await shaping.create({ length: 2, metadata: { name: 'a' }, body: chunks('hi') }, context())
    expect(upload).toMatchObject({ id: 'chosen-id', metadata: { name: 'b' }, offset: 2 })
    expect(answer).toEqual({ headers: { 'x-hook': 'yes' } })
  })

  it('fails closed when pre-create chooses an id the store cannot take: invalid, or in use (that upload untouched)', async () => {
    const uploads = service({ preCreate: async () => ({ id: '../escape' }) })
    await expect(uploads.create({ length: 1, metadata: {} }, context())).rejects.toBeInstanceOf(HookFailed)
    const taken = service({ preCreate: async () => ({ id: 'taken' }) })
    await taken.create({ length: 2, metadata: {}, body: chunks('ab') }, context())
    await expect(taken.create({ length: 1, metadata: {}, body: chunks('x') }, context())).rejects.toBeInstanceOf(HookFailed)
    expect(await taken.status('taken', context())).toMatchObject({ offset: 2, length: 2 })
  })

  it('asks pre-finish once the upload has every byte, and its answer goes to the request that completed it', async () => {
    const finishing: string[] = []
    const uploads = service({
      preFinish: async (event) => {
        finishing.push(`${event.upload.id}:${event.upload.offset}`)
        return { status: 200, body: 'thanks' }
      },
    })
    const { upload } = await uploads.create({ length: 4, metadata: {} }, context())
    expect((await uploads.append(upload.id, { offset: 0, body: chunks('ab') }, context())).answer).toBeUndefined()
    const completed = await uploads.append(upload.id, { offset: 2, body: chunks('cd') }, context())
    expect(completed.answer).toEqual({ status: 200, body: 'thanks' })
    expect(finishing).toEqual([`${upload.id}:4`])
    expect(events.map((event) => event.type)).toContain('finished')
  })

  it('[T-21] asks pre-finish with a live signal for an upload whose last bytes came just before its client left', async () => {
    const asked: boolean[] = []
    const uploads = service({ preFinish: async (event) => void asked.push(event.signal.aborted) })
    const { upload } = await uploads.create({ length: 2, metadata: {} }, context())
    const client = new AbortController()
    const cut = (async function* () {
      yield Buffer.from('ab')
      client.abort(new Error('client gone'))
      throw new Error('connection reset')
    })()
    await expect(uploads.append(upload.id, { offset: 0, body: cut }, { signal: client.signal, request })).rejects.toThrow()
    expect(asked).toEqual([false])
    expect(events.map((event) => event.type)).toContain('finished')
  })

  it('publishes no finished event when pre-finish refuses, and the request fails with its answer', async () => {
    const uploads = service({ preFinish: async () => Promise.reject(new HookRejected('pre-finish', { status: 422 })) })
    const { upload } = await uploads.create({ length: 1, metadata: {} }, context())
    await expect(uploads.append(upload.id, { offset: 0, body: chunks('x') }, context())).rejects.toMatchObject({ answer: { status: 422 } })
    expect(events.map((event) => event.type)).not.toContain('finished')
  })

  it('lets pre-terminate refuse (the upload stays) or shape the answer', async () => {
    let refuse = true
    const uploads = service({
      preTerminate: async () => {
        if (refuse) throw new HookRejected('pre-terminate')
        return { headers: { 'x-bye': '1' } }
      },
    })
    const { upload } = await uploads.create({ length: 1, metadata: {} }, context())
    await expect(uploads.terminate(upload.id, context())).rejects.toBeInstanceOf(HookRejected)
    expect((await uploads.status(upload.id, context())).id).toBe(upload.id)
    refuse = false
    expect(await uploads.terminate(upload.id, context())).toEqual({ headers: { 'x-bye': '1' } })
    await expect(uploads.status(upload.id, context())).rejects.toBeInstanceOf(UploadNotFound)
  })

  it('stops the request holding an upload on a stop request: it keeps the bytes, or removes the upload when asked', async () => {
    const uploads = service()
    const { upload } = await uploads.create({ length: 100, metadata: {} }, context())
    const first = stallingBody('abc')
    const kept = uploads.append(upload.id, { offset: 0, body: first.body }, context()).catch((error: unknown) => error)
    await first.stalled
    await uploads.requestStop(upload.id, { answer: { status: 418 } })
    expect(await kept).toMatchObject({ code: 'UPLOAD_STOPPED', offset: 3, terminated: false, answer: { status: 418 } })
    expect((await uploads.status(upload.id, context())).offset).toBe(3)

    const second = stallingBody('de')
    const removed = uploads.append(upload.id, { offset: 3, body: second.body }, context()).catch((error: unknown) => error)
    await second.stalled
    await uploads.requestStop(upload.id, { terminate: true })
    const stopped = await removed
    expect(stopped).toBeInstanceOf(UploadStopped)
    expect(stopped).toMatchObject({ terminated: true })
    await expect(uploads.status(upload.id, context())).rejects.toBeInstanceOf(UploadNotFound)
    expect(events.map((event) => event.type)).toEqual(['created', 'interrupted', 'interrupted', 'terminated'])
  })

  it('tells a release request (a newer request) apart from a stop request', async () => {
    const uploads = service()
    const { upload } = await uploads.create({ length: 100, metadata: {} }, context())
    const source = stallingBody('abc')
    const running = uploads.append(upload.id, { offset: 0, body: source.body }, context()).catch((error: unknown) => error)
    await source.stalled
    await uploads.status(upload.id, context())
    expect(await running).toBeInstanceOf(UploadInterrupted)
  })

  it('publishes progress while a body streams, carrying the request facts, and never for a body that may be discarded', async () => {
    const uploads = service()
    const { upload } = await uploads.create({ length: 100, metadata: {} }, context())
    const offsets: number[] = []
    const source = stallingBody('abc', 'de')
    const running = uploads.append(upload.id, { offset: 0, body: source.body, onProgress: (offset) => offsets.push(offset) }, context())
    await source.stalled
    await new Promise((resolve) => setTimeout(resolve, 80))
    source.release()
    await running
    const progress = events.filter((event) => event.type === 'progress')
    expect(progress.length).toBeGreaterThanOrEqual(1)
    expect(progress[0]).toMatchObject({ upload: { id: upload.id, offset: 5 }, request })
    // Reported once per growth, not on every tick.
    expect(offsets).toEqual([5])
  })

  it('keeps a request going when a subscriber throws or rejects, and tells the error reporter', async () => {
    const reported: string[] = []
    const bus = new UploadEvents((error) => reported.push((error as Error).message))
    bus.subscribe(() => {
      throw new Error('sync subscriber failed')
    })
    bus.subscribe(async () => Promise.reject(new Error('async subscriber failed')))
    const uploads = service({}, bus)
    const { upload } = await uploads.create({ length: 1, metadata: {}, body: chunks('x') }, context())
    expect(upload.offset).toBe(1)
    await new Promise((resolve) => setImmediate(resolve))
    expect(reported).toContain('sync subscriber failed')
    expect(reported).toContain('async subscriber failed')
    expect(events.map((event) => event.type)).toEqual(['created', 'received', 'finished'])
  })

  it('publishes every event on diagnostics_channel for library users', async () => {
    const seen: string[] = []
    const listener = (message: unknown): void => void seen.push((message as LifecycleEvent).type)
    subscribe(UPLOAD_EVENTS_CHANNEL, listener)
    try {
      const uploads = service()
      const { upload } = await uploads.create({ length: 1, metadata: {} }, context())
      await uploads.append(upload.id, { offset: 0, body: chunks('x') }, context())
    } finally {
      unsubscribe(UPLOAD_EVENTS_CHANNEL, listener)
    }
    expect(seen).toEqual(['created', 'received', 'finished'])
  })
})
