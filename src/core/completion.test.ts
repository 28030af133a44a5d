import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { MemoryLocker } from '../lock/memory-locker.js'
import { LengthExceeded, OffsetMismatch } from '../model/errors.js'
import { isComplete, type Upload } from '../model/upload.js'
import { FileStore } from '../store/file/file-store.js'
import { UploadEvents, type LifecycleEvent } from './events.js'
import { UploadService } from './service.js'
import { uploadsOf, type Uploads } from './uploads.test-support.js'

// Explicit completion (the IETF draft's R-14: only "Upload-Complete: ?1" completes an upload) and the
// hooks a codec uses around a request (onCreated, precondition), with a real FileStore.

async function* chunks(...parts: string[]): AsyncGenerator<Uint8Array> {
  for (const part of parts) yield Buffer.from(part)
}

const context = { signal: new AbortController().signal }

describe('explicit completion', () => {
  let directory: string
  let store: FileStore
  let service: Uploads & { peek: UploadService['peek'] }
  let events: LifecycleEvent[]

  beforeEach(async () => {
    directory = await mkdtemp(join(tmpdir(), 'rg-completion-'))
    store = await FileStore.open({ directory, fsync: false })
    events = []
    const bus = new UploadEvents()
    bus.subscribe((event) => void events.push(event))
    const uploads = new UploadService({ store, locker: new MemoryLocker(), events: bus, maxSize: 0, acquireLockTimeoutMs: 1000, networkTimeoutMs: 0 })
    service = { ...uploadsOf(uploads), peek: (id) => uploads.peek(id) }
  })
  afterEach(() => rm(directory, { recursive: true, force: true }))

  const finished = () => events.filter((event) => event.type === 'finished').length

  it('[R-14] [R-03] an append that says "not complete" and reaches the length leaves the upload waiting for its client, persistently', async () => {
    const created = await service.create({ length: 3, metadata: {} }, context)
    const appended = await service.append(created.id, { offset: 0, body: chunks('abc'), complete: false }, context)
    expect(appended.completionPending).toBe(true)
    expect(isComplete(appended)).toBe(false)
    expect(finished()).toBe(0)
    // A fresh store over the same directory (a restart) still knows.
    const reread = (await new FileStore({ directory }).open(created.id, context.signal)).state
    expect(isComplete(reread)).toBe(false)
    const info = JSON.parse(await readFile(join(directory, `${created.id}.info`), 'utf8')) as Record<string, unknown>
    expect(info.completionPending).toBe(true)
  })

  it('an empty append that says "complete" then completes it, once', async () => {
    const created = await service.create({ length: 3, metadata: {} }, context)
    await service.append(created.id, { offset: 0, body: chunks('abc'), complete: false }, context)
    const completed = await service.append(created.id, { offset: 3, body: chunks(), complete: true }, context)
    expect(isComplete(completed)).toBe(true)
    expect(completed.completionPending).toBeUndefined()
    expect(finished()).toBe(1)
    const info = JSON.parse(await readFile(join(directory, `${created.id}.info`), 'utf8')) as Record<string, unknown>
    expect(info).not.toHaveProperty('completionPending')
  })

  it('an append that does not care about completion (tus) completes a waiting upload', async () => {
    const created = await service.create({ length: 3, metadata: {} }, context)
    await service.append(created.id, { offset: 0, body: chunks('abc'), complete: false }, context)
    expect(isComplete(await service.append(created.id, { offset: 3, body: chunks() }, context))).toBe(true)
  })

  it('an upload of length 0 created "not complete" waits too', async () => {
    const created = await service.create({ length: 0, metadata: {}, body: chunks(), complete: false }, context)
    expect(isComplete(created)).toBe(false)
    expect(finished()).toBe(0)
  })

  it('a request that stops early at the length completes nothing when its protocol completes uploads explicitly', async () => {
    const created = await service.create({ length: 3, metadata: {} }, context)
    const failed = service.append(created.id, { offset: 0, body: chunks('abcdef'), complete: false }, context)
    await expect(failed).rejects.toThrow(LengthExceeded)
    const state = await service.status(created.id, context)
    expect(state.offset).toBe(3)
    expect(isComplete(state)).toBe(false)
  })

  it('[T-21] a tus request that stops early at the length still finishes the upload: its client sees it complete', async () => {
    // A body longer than the length keeps the length's bytes (413), and one whose connection drops after
    // its last byte keeps them all: either way the offset is the length, which tus calls complete.
    const long = await service.create({ length: 3, metadata: {} }, context)
    await expect(service.append(long.id, { offset: 0, body: chunks('abcdef') }, context)).rejects.toThrow(LengthExceeded)
    const cut = await service.create({ length: 3, metadata: {} }, context)
    const client = new AbortController()
    const dropped = (async function* () {
      yield Buffer.from('abc')
      // The connection is gone: the request's signal says so too.
      client.abort(new Error('client gone'))
      throw new Error('connection reset')
    })()
    await expect(service.append(cut.id, { offset: 0, body: dropped }, { signal: client.signal })).rejects.toThrow()
    for (const { id } of [long, cut]) expect(isComplete(await service.status(id, context))).toBe(true)
    expect(events.filter((event) => event.type === 'finished').map((event) => event.upload.id)).toEqual([long.id, cut.id])
  })

  it('[R-09] a completed upload stays complete when a request saying "complete" or "not complete" stops early on it', async () => {
    const created = await service.create({ length: 3, metadata: {}, body: chunks('abc'), complete: true }, context)
    for (const complete of [true, false]) {
      const failed = service.append(created.id, { offset: 3, body: chunks('more'), complete }, context)
      await expect(failed).rejects.toThrow(LengthExceeded)
      expect(isComplete(await service.status(created.id, context))).toBe(true)
    }
    // An empty one saying "not complete" does not reopen it either.
    expect(isComplete(await service.append(created.id, { offset: 3, body: chunks(), complete: false }, context))).toBe(true)
    expect(finished()).toBe(1)
  })

  it('peek reads the state without waiting for the lock a running request holds', async () => {
    const created = await service.create({ length: 5, metadata: {}, body: chunks('ab'), complete: false }, context)
    let release: () => void = () => {}
    let entered: () => void = () => {}
    const held = new Promise<void>((resolve) => (release = resolve))
    const holding = new Promise<void>((resolve) => (entered = resolve))
    const running = service.append(
      created.id,
      // The precondition runs under the upload's lock: the request holds it until `release()`.
      { offset: 2, body: chunks('c'), complete: false, precondition: () => (entered(), held) },
      context,
    )
    await holding
    expect((await service.peek(created.id))?.offset).toBe(2)
    expect(await service.peek('0'.repeat(32))).toBeUndefined()
    release()
    expect((await running).offset).toBe(3)
  })

  it('a precondition that throws refuses the request before anything changes', async () => {
    const created = await service.create({ length: 3, metadata: {} }, context)
    const seen: Upload[] = []
    const refused = service.append(
      created.id,
      {
        offset: 0,
        body: chunks('abc'),
        precondition: (upload) => {
          seen.push(upload)
          throw new OffsetMismatch(upload.offset, 99)
        },
      },
      context,
    )
    await expect(refused).rejects.toThrow(OffsetMismatch)
    expect(seen.map((upload) => upload.offset)).toEqual([0])
    expect((await service.status(created.id, context)).offset).toBe(0)
  })

  it('onCreated sees the new upload before its body is read, and the digests are kept with it', async () => {
    let readBeforeAnnounce: boolean | undefined
    let bodyRead = false
    const body = {
      async *[Symbol.asyncIterator]() {
        bodyRead = true
        yield Buffer.from('hi')
      },
    }
    const created = await service.create(
      {
        metadata: {},
        body,
        complete: true,
        digests: { expected: { 'sha-256': 'abc=' }, wanted: ['sha-512'] },
        onCreated: () => (readBeforeAnnounce = bodyRead),
      },
      context,
    )
    expect(readBeforeAnnounce).toBe(false)
    expect(created.length).toBe(2)
    expect((await store.open(created.id, context.signal)).state.digests).toEqual({ expected: { 'sha-256': 'abc=' }, wanted: ['sha-512'] })
  })
})
