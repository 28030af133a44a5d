import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { MemoryLocker } from '../lock/memory-locker.js'
import { FinalUploadImmutable, MaxSizeExceeded, PartialUploadAwaited, PartialUploadInvalid, ShuttingDown } from '../model/errors.js'
import { ShutdownRequested } from '../model/stop-reasons.js'
import type { Upload } from '../model/upload.js'
import { MemoryStore } from '../store/memory/memory-store.js'
import { storeWithStalledConcatenation } from '../store/memory/stalled-concatenation.test-support.js'
import { UploadEvents, type LifecycleEvent } from './events.js'
import { UploadService, type RequestContext, type ServiceOptions } from './service.js'
import { newUploadId } from './upload-id.js'
import { uploadsOf, type Uploads } from './uploads.test-support.js'

const context = (): RequestContext => ({ signal: new AbortController().signal })

async function* chunks(...parts: string[]): AsyncGenerator<Uint8Array> {
  for (const part of parts) yield Buffer.from(part)
}

async function content(service: Uploads, id: string): Promise<string> {
  const { stream } = await service.read(id, () => undefined, context())
  const parts: Buffer[] = []
  for await (const part of stream) parts.push(part as Buffer)
  return Buffer.concat(parts).toString('utf8')
}

describe('concatenation in the upload service', () => {
  let store: MemoryStore
  let events: LifecycleEvent[]
  let waiters: { match: (event: LifecycleEvent) => boolean; resolve: () => void }[]
  const services: Uploads[] = []

  function service(options: Partial<ServiceOptions> = {}): Uploads {
    const bus = new UploadEvents()
    bus.subscribe((event) => {
      events.push(event)
      for (const waiter of waiters.filter((w) => w.match(event))) waiter.resolve()
    })
    const made = uploadsOf(new UploadService({ store, locker: new MemoryLocker(), events: bus, maxSize: 0, acquireLockTimeoutMs: 10_000, networkTimeoutMs: 0, ...options }))
    services.push(made)
    return made
  }

  /** Resolves on the first event (from now on) that `match` accepts. */
  function eventually(match: (event: LifecycleEvent) => boolean): Promise<void> {
    return new Promise((resolve) => waiters.push({ match, resolve }))
  }

  const finishedEvent = (id: string) => (event: LifecycleEvent) => event.type === 'finished' && event.upload.id === id

  async function partial(uploads: Uploads, length: number | undefined, data?: string, metadata = {}): Promise<Upload> {
    const created = await uploads.create({ length, metadata, concat: { kind: 'partial' } }, context())
    if (data === undefined) return created
    return uploads.append(created.id, { offset: 0, body: chunks(data) }, context())
  }

  function final(uploads: Uploads, partials: string[], metadata = {}): Promise<Upload> {
    return uploads.create({ metadata, concat: { kind: 'final', partials } }, context())
  }

  beforeEach(() => {
    store = new MemoryStore()
    events = []
    waiters = []
  })
  afterEach(async () => {
    for (const made of services.splice(0)) await made.close()
  })

  it('[T-53] [T-55] makes a final upload of complete partial uploads at once: their bytes in order, the sum of their lengths, its own metadata', async () => {
    const uploads = service()
    const a = await partial(uploads, 5, 'hello', { part: 'one' })
    const b = await partial(uploads, 6, ' world', { part: 'two' })
    const made = await final(uploads, [a.id, b.id], { filename: 'greeting.txt' })
    expect(made).toMatchObject({ offset: 11, length: 11, metadata: { filename: 'greeting.txt' } })
    expect(made.concat).toEqual({ kind: 'final', partials: [a.id, b.id] })
    expect(await content(uploads, made.id)).toBe('hello world')
    expect(events.filter((event) => event.type === 'finished').map((event) => (event as { upload: Upload }).upload.id)).toEqual([
      a.id,
      b.id,
      made.id,
    ])
  })

  it('[T-52] reports a finished partial upload as a partial one, so that nothing treats it as a whole file', async () => {
    const uploads = service()
    const a = await partial(uploads, 2, 'ab')
    const made = await final(uploads, [a.id])
    const finished = events.filter((event): event is Extract<LifecycleEvent, { type: 'finished' }> => event.type === 'finished')
    expect(finished.map((event) => [event.upload.id, event.upload.concat?.kind])).toEqual([
      [a.id, 'partial'],
      [made.id, 'final'],
    ])
  })

  it('[T-56] uses a partial upload several times, in one final upload and in several', async () => {
    const uploads = service()
    const a = await partial(uploads, 2, 'ab')
    const b = await partial(uploads, 1, '-')
    const first = await final(uploads, [a.id, b.id, a.id])
    const second = await final(uploads, [b.id, a.id])
    expect(await content(uploads, first.id)).toBe('ab-ab')
    expect(await content(uploads, second.id)).toBe('-ab')
    expect(first.length).toBe(5)
  })

  it('[T-51] refuses a final upload naming an upload that does not exist or is not partial', async () => {
    const uploads = service()
    const a = await partial(uploads, 1, 'a')
    const plain = await uploads.create({ length: 1, metadata: {} }, context())
    const missing = newUploadId()
    await expect(final(uploads, [a.id, missing])).rejects.toMatchObject({ code: 'PARTIAL_UPLOAD_INVALID', partialId: missing, reason: 'not-found' })
    await expect(final(uploads, [plain.id])).rejects.toEqual(new PartialUploadInvalid(plain.id, 'not-partial'))
    // Nothing was created for them.
    let count = 0
    for await (const _id of store.list(context().signal)) count++
    expect(count).toBe(2)
  })

  it('refuses a final upload larger than the maximum size', async () => {
    const uploads = service({ maxSize: 4 })
    const a = await partial(uploads, 3, 'abc')
    await expect(final(uploads, [a.id, a.id])).rejects.toBeInstanceOf(MaxSizeExceeded)
  })

  it('[T-34] never joins a final upload whose deferred partial uploads add up to more than the maximum size', async () => {
    const uploads = service({ maxSize: 4 })
    const a = await partial(uploads, undefined, 'abc')
    const made = await final(uploads, [a.id, a.id])
    // The partial upload completes: 3 bytes, within the limit; the final upload would be 6.
    await uploads.append(a.id, { offset: 3, length: 3, body: chunks('') }, context())
    await expect(uploads.status(made.id, context())).rejects.toBeInstanceOf(MaxSizeExceeded)
    const stored = (await store.open(made.id, context().signal)).state
    expect(stored.offset).toBe(0)
    expect(stored.length).toBeUndefined()
  })

  it('[T-57] appends nothing to a final upload, and leaves its partial uploads alone', async () => {
    const uploads = service()
    const a = await partial(uploads, 3, 'abc')
    const made = await final(uploads, [a.id])
    await expect(uploads.append(made.id, { offset: 3, body: chunks('x') }, context())).rejects.toBeInstanceOf(FinalUploadImmutable)
    const pending = await final(uploads, [(await partial(uploads, 2)).id])
    await expect(uploads.append(pending.id, { offset: 0, body: chunks('xy') }, context())).rejects.toBeInstanceOf(FinalUploadImmutable)
    expect(await content(uploads, made.id)).toBe('abc')
    expect(await uploads.status(a.id, context())).toMatchObject({ offset: 3, length: 3 })
  })

  it('[T-54] [T-58] completes a final upload created before its partial uploads once the last of them completes', async () => {
    const uploads = service()
    const a = await partial(uploads, 5)
    const b = await partial(uploads, 6, ' world')
    const made = await final(uploads, [a.id, b.id])
    expect(made).toMatchObject({ offset: 0, length: 11 })
    const completed = eventually(finishedEvent(made.id))
    await uploads.append(a.id, { offset: 0, body: chunks('hel') }, context())
    expect(await uploads.status(made.id, context())).toMatchObject({ offset: 0, length: 11 })
    await uploads.append(a.id, { offset: 3, body: chunks('lo') }, context())
    // The partial upload's completion completes the final upload, with no request for it.
    await completed
    expect(await uploads.status(made.id, context())).toMatchObject({ offset: 11, length: 11 })
    expect(await content(uploads, made.id)).toBe('hello world')
  })

  it('[T-60] learns a final length once every partial upload has declared its own', async () => {
    const uploads = service()
    const a = await partial(uploads, undefined, 'abc')
    const b = await partial(uploads, 2, 'de')
    const made = await final(uploads, [a.id, b.id])
    expect(made.length).toBeUndefined()
    expect((await uploads.status(made.id, context())).length).toBeUndefined()
    const completed = eventually(finishedEvent(made.id))
    await uploads.append(a.id, { offset: 3, length: 4, body: chunks('') }, context())
    expect(await uploads.status(made.id, context())).toMatchObject({ offset: 0, length: 6 })
    await uploads.append(a.id, { offset: 3, body: chunks('!') }, context())
    await completed
    expect(await content(uploads, made.id)).toBe('abc!de')
  })

  it('[T-43] [T-53] takes no bytes of a partial upload that a failing checksum then discards', async () => {
    const uploads = service()
    const a = await partial(uploads, 5)
    const b = await partial(uploads, 6, ' world')
    const made = await final(uploads, [a.id, b.id])
    // The last bytes of `a` arrive; their check gives its verdict only when the test says so.
    let verdict!: (error?: Error) => void
    let verifying!: () => void
    const judged = new Promise<Error | undefined>((resolve) => (verdict = resolve))
    const written = new Promise<void>((resolve) => (verifying = resolve))
    const check = {
      update: () => {},
      // Called once the whole body is stored.
      verify: async () => {
        verifying()
        const error = await judged
        if (error !== undefined) throw error
      },
    }
    const checking = uploads.append(a.id, { offset: 0, body: chunks('hellX'), checks: [check] }, context())
    // While they are on disk but not yet judged, the final upload does not take them.
    await written
    expect((await store.open(a.id, context().signal)).state.offset).toBe(5)
    expect(await uploads.status(made.id, context())).toMatchObject({ offset: 0 })
    verdict(new Error('checksum mismatch'))
    await expect(checking).rejects.toThrow('checksum mismatch')
    const completed = eventually(finishedEvent(made.id))
    await uploads.append(a.id, { offset: 0, body: chunks('hello') }, context())
    await completed
    expect(await content(uploads, made.id)).toBe('hello world')
  })

  it('finishes, after a restart, final uploads whose partial uploads complete then', async () => {
    const before = service()
    const a = await partial(before, 2, 'a')
    const made = await final(before, [a.id])
    await before.close()
    // A new process: it learns of the pending final upload from the store.
    const after = service()
    await after.start()
    const completed = eventually(finishedEvent(made.id))
    await after.append(a.id, { offset: 1, body: chunks('b') }, context())
    await completed
    expect(await content(after, made.id)).toBe('ab')
  })

  it('finishes on start-up a final upload whose concatenation a crash interrupted', async () => {
    const uploads = service()
    const a = await partial(uploads, 2, 'xy')
    // As a crash leaves it: the final upload recorded, its bytes not yet copied.
    const id = newUploadId()
    await store.create({ id, length: 4, metadata: {}, concat: { kind: 'final', partials: [a.id, a.id] } }, context().signal)
    const completed = eventually(finishedEvent(id))
    const restarted = service()
    await restarted.start()
    await completed
    expect(await content(restarted, id)).toBe('xyxy')
  })

  it('[T-54] refuses to terminate a partial upload a pending final upload needs; one gone anyway leaves the final upload pending', async () => {
    const uploads = service()
    const a = await partial(uploads, 2, 'a')
    const b = await partial(uploads, 1, 'b')
    const made = await final(uploads, [a.id, b.id])
    await expect(uploads.terminate(a.id, context())).rejects.toThrow(PartialUploadAwaited)
    expect((await uploads.status(a.id, context())).offset).toBe(1)
    // Removed behind the gateway's back (by hand, or a store's own lifecycle rule).
    await (await store.open(a.id, context().signal)).terminate?.(context().signal)
    expect(await uploads.status(made.id, context())).toMatchObject({ offset: 0, length: 3 })
  })

  it('answers a final upload whose concatenation the shutdown stops ShuttingDown (a 503 with its Location), not an internal error', async () => {
    const stalled = storeWithStalledConcatenation()
    store = stalled.store
    const uploads = service()
    const a = await partial(uploads, 3, 'abc')
    const request = new AbortController()
    const creating = uploads.create({ metadata: {}, concat: { kind: 'final', partials: [a.id] } }, { signal: request.signal })
    await stalled.copyStarted
    request.abort(new ShutdownRequested())
    await expect(creating).rejects.toBeInstanceOf(ShuttingDown)
  })
  it('looks at many partial uploads at once without node warning of a leak on the request\'s signal (a store call listens to it)', async () => {
    const uploads = service()
    const ids = await Promise.all(Array.from({ length: 12 }, async () => (await partial(uploads, 1, 'x')).id))
    const open = store.open.bind(store)
    // As S3's and Azure's clients do: a listener on the call's signal while it runs.
    store.open = async (id, signal) => {
      const listener = (): void => {}
      signal.addEventListener('abort', listener)
      await new Promise((resolve) => setImmediate(resolve))
      signal.removeEventListener('abort', listener)
      return open(id, signal)
    }
    const warnings: Error[] = []
    const onWarning = (warning: Error): number => warnings.push(warning)
    process.on('warning', onWarning)
    try {
      await final(uploads, ids)
      await new Promise((resolve) => setImmediate(resolve))
    } finally {
      process.off('warning', onWarning)
    }
    expect(warnings.filter((warning) => warning.name === 'MaxListenersExceededWarning')).toEqual([])
  })
})
