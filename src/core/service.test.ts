import { beforeEach, describe, expect, it } from 'vitest'
import { MemoryLocker } from '../lock/memory-locker.js'
import { MemoryStore } from '../store/memory/memory-store.js'
import type { Store } from '../store/store.js'
import {
  BodyIncomplete,
  LengthBelowOffset,
  LengthExceeded,
  LengthMismatch,
  LockTimeout,
  MaxSizeExceeded,
  NetworkTimeout,
  NotSupported,
  OffsetMismatch,
  ShuttingDown,
  UploadIncomplete,
  UploadInterrupted,
  UploadNotFound,
} from '../model/errors.js'
import { ClientGone, ShutdownRequested } from '../model/stop-reasons.js'
import { UploadEvents, type LifecycleEvent } from './events.js'
import { UploadService, type RequestContext, type ServiceOptions } from './service.js'
import { uploadsOf, type Uploads } from './uploads.test-support.js'

async function* chunks(...parts: string[]): AsyncGenerator<Uint8Array> {
  for (const part of parts) yield Buffer.from(part)
}

/**
 * A body that yields `parts` and then stalls forever, like a client that keeps its connection open
 * and sends nothing more. `stalled` resolves once every part has been taken by the reader.
 */
function stallingBody(...parts: string[]): { body: AsyncIterable<Uint8Array>; stalled: Promise<void> } {
  let markStalled!: () => void
  const stalled = new Promise<void>((resolve) => (markStalled = resolve))
  async function* body(): AsyncGenerator<Uint8Array> {
    for (const part of parts) yield Buffer.from(part)
    markStalled()
    await new Promise<never>(() => {})
  }
  return { body: body(), stalled }
}

/** Marks a promise that is awaited later as handled, so an early rejection is not reported as unhandled. */
function later<T>(promise: Promise<T>): Promise<T> {
  promise.catch(() => {})
  return promise
}

/** A body that records whether anyone read from it. */
function untouchedBody(): { body: AsyncIterable<Uint8Array>; wasRead(): boolean } {
  let read = false
  return {
    body: {
      async *[Symbol.asyncIterator]() {
        read = true
        yield Buffer.from('never')
      },
    },
    wasRead: () => read,
  }
}

const context = (): RequestContext => ({ signal: new AbortController().signal })

describe('UploadService with the MemoryStore and the MemoryLocker', () => {
  let store: MemoryStore
  let locker: MemoryLocker
  let events: LifecycleEvent[]

  function service(options: Partial<ServiceOptions> = {}): Uploads {
    const bus = new UploadEvents()
    bus.subscribe((event) => void events.push(event))
    return uploadsOf(new UploadService({
      store,
      locker,
      maxSize: 0,
      acquireLockTimeoutMs: 10_000,
      networkTimeoutMs: 0,
      events: bus,
      ...options,
    }))
  }

  const stored = (id: string): string => store.bytesOf(id).toString()

  beforeEach(() => {
    store = new MemoryStore()
    locker = new MemoryLocker()
    events = []
  })

  describe('create and append', () => {
    it('creates an empty upload and appends bodies at the stored offset until it is complete', async () => {
      const uploads = service()
      const upload = await uploads.create({ length: 10, metadata: { filename: 'a.txt' } }, context())
      expect(upload).toMatchObject({ offset: 0, length: 10, metadata: { filename: 'a.txt' } })
      expect((await uploads.append(upload.id, { offset: 0, body: chunks('hello') }, context())).offset).toBe(5)
      expect((await uploads.append(upload.id, { offset: 5, body: chunks('world') }, context())).offset).toBe(10)
      expect(stored(upload.id)).toBe('helloworld')
    })

    it('appends the body that came with the creation request', async () => {
      const upload = await service().create({ length: 5, metadata: {}, body: chunks('ab', 'c'), bodySize: 3 }, context())
      expect(upload.offset).toBe(3)
      expect(stored(upload.id)).toBe('abc')
    })

    it('[T-17] refuses an offset that differs from the stored one and leaves the upload untouched', async () => {
      const uploads = service()
      const { id } = await uploads.create({ length: 10, metadata: {} }, context())
      await uploads.append(id, { offset: 0, body: chunks('abc') }, context())
      const body = untouchedBody()
      const refused = uploads.append(id, { offset: 2, body: body.body }, context())
      await expect(refused).rejects.toBeInstanceOf(OffsetMismatch)
      await expect(refused).rejects.toMatchObject({ expected: 3, provided: 2 })
      expect(body.wasRead()).toBe(false)
      expect((await uploads.status(id, context())).offset).toBe(3)
      expect(stored(id)).toBe('abc')
    })

    it('stops a body that goes past the length with LengthExceeded, keeping the bytes up to the length', async () => {
      const uploads = service()
      const { id } = await uploads.create({ length: 6, metadata: {} }, context())
      const appended = later(uploads.append(id, { offset: 0, body: chunks('abcd', 'efgh', 'ijkl') }, context()))
      await expect(appended).rejects.toBeInstanceOf(LengthExceeded)
      const upload = await uploads.status(id, context())
      expect(upload.offset).toBe(6)
      expect(upload.offset).toBe(upload.length)
      expect(stored(id)).toBe('abcdef')
    })

    it('refuses a body announced larger than the rest of the upload before reading it', async () => {
      const uploads = service()
      const { id } = await uploads.create({ length: 4, metadata: {} }, context())
      const body = untouchedBody()
      await expect(uploads.append(id, { offset: 0, body: body.body, bodySize: 5 }, context())).rejects.toBeInstanceOf(
        LengthExceeded,
      )
      expect(body.wasRead()).toBe(false)
      expect((await uploads.status(id, context())).offset).toBe(0)
    })

    it('answers UploadNotFound for an unknown upload', async () => {
      const uploads = service()
      await expect(uploads.status('0123456789abcdef', context())).rejects.toBeInstanceOf(UploadNotFound)
      await expect(uploads.append('0123456789abcdef', { offset: 0, body: chunks('a') }, context())).rejects.toBeInstanceOf(
        UploadNotFound,
      )
    })
  })

  describe('deferred length', () => {
    it('accepts bytes before the length is known and completes once a declared length is reached', async () => {
      const uploads = service()
      const created = await uploads.create({ metadata: {} }, context())
      expect(created.length).toBeUndefined()
      const partial = await uploads.append(created.id, { offset: 0, body: chunks('abc') }, context())
      expect(partial.offset).toBe(3)
      expect(partial.length).toBeUndefined()
      const finished = await uploads.append(created.id, { offset: 3, length: 5, body: chunks('de') }, context())
      expect(finished).toMatchObject({ offset: 5, length: 5 })
      expect(events.filter((event) => event.type === 'finished')).toHaveLength(1)
    })

    it('refuses a declared length that differs from the known one', async () => {
      const uploads = service()
      const { id } = await uploads.create({ length: 5, metadata: {} }, context())
      await expect(uploads.append(id, { offset: 0, length: 6, body: chunks('a') }, context())).rejects.toBeInstanceOf(
        LengthMismatch,
      )
    })

    it('refuses a declared length below the bytes already stored', async () => {
      const uploads = service()
      const { id } = await uploads.create({ metadata: {} }, context())
      await uploads.append(id, { offset: 0, body: chunks('abcd') }, context())
      await expect(uploads.append(id, { offset: 4, length: 3, body: chunks('') }, context())).rejects.toBeInstanceOf(
        LengthBelowOffset,
      )
      expect((await uploads.status(id, context())).length).toBeUndefined()
    })

    it('reports NotSupported when the store cannot defer lengths', async () => {
      const strict: Store = Object.create(store, { capabilities: { value: { ...store.capabilities, deferLength: false } } })
      await expect(service({ store: strict }).create({ metadata: {} }, context())).rejects.toBeInstanceOf(NotSupported)
    })
  })

  describe('max size', () => {
    it('refuses to create an upload longer than the max size', async () => {
      await expect(service({ maxSize: 10 }).create({ length: 11, metadata: {} }, context())).rejects.toMatchObject({
        code: 'MAX_SIZE_EXCEEDED',
        maxSize: 10,
        length: 11,
      })
      expect(events).toEqual([])
    })

    it('accepts an upload of exactly the max size', async () => {
      const upload = await service({ maxSize: 3 }).create({ length: 3, metadata: {}, body: chunks('abc') }, context())
      expect(upload.offset).toBe(3)
    })

    it('stops a deferred-length body at the max size, keeping the bytes up to it', async () => {
      const uploads = service({ maxSize: 5 })
      const { id } = await uploads.create({ metadata: {} }, context())
      await expect(uploads.append(id, { offset: 0, body: chunks('abc', 'def') }, context())).rejects.toBeInstanceOf(
        MaxSizeExceeded,
      )
      expect((await uploads.status(id, context())).offset).toBe(5)
    })

    it('refuses a declared length above the max size', async () => {
      const uploads = service({ maxSize: 5 })
      const { id } = await uploads.create({ metadata: {} }, context())
      await expect(uploads.append(id, { offset: 0, length: 6, body: chunks('a') }, context())).rejects.toBeInstanceOf(
        MaxSizeExceeded,
      )
    })
  })

  describe('locks', () => {
    it('interrupts an append stalled on its source when a status is asked, which sees the bytes received', async () => {
      const uploads = service()
      const { id } = await uploads.create({ length: 100, metadata: {} }, context())
      const source = stallingBody('abc', 'de')
      const appended = later(uploads.append(id, { offset: 0, body: source.body }, context()))
      await source.stalled
      // No timeout is involved: the status request asks the lock holder to release, and it does at once.
      const upload = await uploads.status(id, context())
      expect(upload.offset).toBe(5)
      await expect(appended).rejects.toBeInstanceOf(UploadInterrupted)
      await expect(appended).rejects.toMatchObject({ offset: 5 })
      expect(stored(id)).toBe('abcde')
    })

    it('lets a terminate interrupt a stalled append, then removes the upload', async () => {
      const uploads = service()
      const { id } = await uploads.create({ length: 100, metadata: {} }, context())
      const source = stallingBody('abc')
      const appended = later(uploads.append(id, { offset: 0, body: source.body }, context()))
      await source.stalled
      await uploads.terminate(id, context())
      await expect(appended).rejects.toBeInstanceOf(UploadInterrupted)
      await expect(uploads.status(id, context())).rejects.toBeInstanceOf(UploadNotFound)
    })

    it('lets a second append interrupt a stalled one and continue from the bytes it stored', async () => {
      const uploads = service()
      const { id } = await uploads.create({ length: 6, metadata: {} }, context())
      const source = stallingBody('abc')
      const first = later(uploads.append(id, { offset: 0, body: source.body }, context()))
      await source.stalled
      const second = await uploads.append(id, { offset: 3, body: chunks('def') }, context())
      await expect(first).rejects.toBeInstanceOf(UploadInterrupted)
      expect(second.offset).toBe(6)
      expect(stored(id)).toBe('abcdef')
    })

    it('gives up with LockTimeout when the holder never lets go', async () => {
      const uploads = service({ acquireLockTimeoutMs: 100 })
      const { id } = await uploads.create({ length: 10, metadata: {} }, context())
      // A holder that ignores release requests (a stuck store, another process).
      const stubborn = await locker.acquire(id, { signal: new AbortController().signal })
      try {
        await expect(uploads.status(id, context())).rejects.toMatchObject({ code: 'LOCK_TIMEOUT', id, waitedMs: 100 })
        await expect(uploads.append(id, { offset: 0, body: chunks('a') }, context())).rejects.toBeInstanceOf(LockTimeout)
      } finally {
        await stubborn.release()
      }
      // The timed-out waiters left the queue: the lock is free again.
      expect((await uploads.status(id, context())).offset).toBe(0)
    })

    it('answers ShuttingDown to a request still waiting for a lock when the gateway shuts down', async () => {
      const uploads = service()
      const { id } = await uploads.create({ length: 10, metadata: {} }, context())
      const stubborn = await locker.acquire(id, { signal: new AbortController().signal })
      const shutdown = new AbortController()
      const waiting = later(uploads.status(id, { signal: shutdown.signal }))
      shutdown.abort(new ShutdownRequested())
      await expect(waiting).rejects.toBeInstanceOf(ShuttingDown)
      await stubborn.release()
    })
  })

  describe('stopped bodies keep their bytes', () => {
    it('stops a body idle for the network timeout with NetworkTimeout', async () => {
      const uploads = service({ networkTimeoutMs: 50 })
      const { id } = await uploads.create({ length: 100, metadata: {} }, context())
      const appended = later(uploads.append(id, { offset: 0, body: stallingBody('abcd').body }, context()))
      await expect(appended).rejects.toBeInstanceOf(NetworkTimeout)
      await expect(appended).rejects.toMatchObject({ idleMs: 50, offset: 4 })
      expect((await uploads.status(id, context())).offset).toBe(4)
    })

    it('answers ShuttingDown with the stored offset when the gateway shuts down mid-body', async () => {
      const uploads = service()
      const { id } = await uploads.create({ length: 100, metadata: {} }, context())
      const request = new AbortController()
      const source = stallingBody('abc')
      const appended = later(uploads.append(id, { offset: 0, body: source.body }, { signal: request.signal }))
      await source.stalled
      request.abort(new ShutdownRequested())
      await expect(appended).rejects.toBeInstanceOf(ShuttingDown)
      await expect(appended).rejects.toMatchObject({ offset: 3 })
      expect((await uploads.status(id, context())).offset).toBe(3)
    })

    it('answers BodyIncomplete when the client goes away mid-body', async () => {
      const uploads = service()
      const { id } = await uploads.create({ length: 100, metadata: {} }, context())
      const request = new AbortController()
      const source = stallingBody('ab')
      const appended = later(uploads.append(id, { offset: 0, body: source.body }, { signal: request.signal }))
      await source.stalled
      request.abort(new ClientGone())
      await expect(appended).rejects.toBeInstanceOf(BodyIncomplete)
      expect((await uploads.status(id, context())).offset).toBe(2)
    })

    it('answers BodyIncomplete when the source fails, keeping what came before', async () => {
      const uploads = service()
      const { id } = await uploads.create({ length: 100, metadata: {} }, context())
      const reset = new Error('ECONNRESET')
      async function* failing(): AsyncGenerator<Uint8Array> {
        yield Buffer.from('abc')
        throw reset
      }
      const appended = later(uploads.append(id, { offset: 0, body: failing() }, context()))
      await expect(appended).rejects.toBeInstanceOf(BodyIncomplete)
      await expect(appended).rejects.toMatchObject({ offset: 3, cause: reset })
      expect(stored(id)).toBe('abc')
    })
  })

  describe('lifecycle events', () => {
    it('reports created, received, finished and terminated', async () => {
      const uploads = service()
      const { id } = await uploads.create({ length: 3, metadata: {} }, context())
      await uploads.append(id, { offset: 0, body: chunks('abc') }, context())
      await uploads.terminate(id, context())
      expect(events.map((event) => event.type)).toEqual(['created', 'received', 'finished', 'terminated'])
      expect(events[1]).toMatchObject({ type: 'received', bytes: 3 })
      expect(events[2]).toMatchObject({ type: 'finished', upload: { id, offset: 3, length: 3 } })
      expect(events[3]).toMatchObject({ type: 'terminated', upload: { id } })
    })

    it('reports an empty upload as finished when it is created', async () => {
      const { id } = await service().create({ length: 0, metadata: {} }, context())
      expect(events.map((event) => event.type)).toEqual(['created', 'finished'])
      expect(events[0]).toMatchObject({ upload: { id, length: 0 } })
    })

    it('reports an interrupted append with the bytes it stored and why', async () => {
      const uploads = service()
      const { id } = await uploads.create({ length: 100, metadata: {} }, context())
      const source = stallingBody('abcd')
      const appended = later(uploads.append(id, { offset: 0, body: source.body }, context()))
      await source.stalled
      await uploads.status(id, context())
      await expect(appended).rejects.toBeInstanceOf(UploadInterrupted)
      // The bytes of a stopped body are reported once, with the interruption.
      expect(events.map((event) => event.type)).toEqual(['created', 'interrupted'])
      expect(events[1]).toMatchObject({ type: 'interrupted', bytes: 4, reason: 'UPLOAD_INTERRUPTED', upload: { offset: 4 } })
    })

    it('reports no finished event for an append to an upload that stays incomplete', async () => {
      const uploads = service()
      const { id } = await uploads.create({ length: 5, metadata: {} }, context())
      await uploads.append(id, { offset: 0, body: chunks('ab') }, context())
      expect(events.map((event) => event.type)).toEqual(['created', 'received'])
    })
  })

  describe('read', () => {
    it('refuses to read an upload that is not finished', async () => {
      const uploads = service()
      const { id } = await uploads.create({ length: 5, metadata: {} }, context())
      await expect(uploads.read(id, () => undefined, context())).rejects.toBeInstanceOf(UploadIncomplete)
    })

    it('streams the chosen range of a finished upload', async () => {
      const uploads = service()
      const { id } = await uploads.create({ length: 5, metadata: {}, body: chunks('hello') }, context())
      const { range, stream } = await uploads.read(id, (size: number) => ({ start: 1, end: size - 1 }), context())
      expect(range).toEqual({ start: 1, end: 4 })
      const parts: Buffer[] = []
      for await (const part of stream) parts.push(part as Buffer)
      expect(Buffer.concat(parts).toString()).toBe('ell')
    })
  })
})
