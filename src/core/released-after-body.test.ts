import { describe, expect, it } from 'vitest'
import { MemoryLocker } from '../lock/memory-locker.js'
import { UploadInterrupted } from '../model/errors.js'
import { MemoryStore } from '../store/memory/memory-store.js'
import { UploadService, type RequestContext } from './service.js'

// A release request (another request for the upload) can reach an append after the last byte of its body
// was read but before the body's end was seen, or while the store still writes that last byte. Nothing is
// interrupted then: every byte the client sent is stored, and the request must succeed as one a moment
// earlier would have. Found by test/scale-out on S3 (HEADs of 19 other clients): 5 of 8 PATCHes whose whole
// MiB was stored answered 400 "interrupted", which tus-js-client treats as fatal unless told otherwise.

const context = (): RequestContext => ({ signal: new AbortController().signal })

/** A body whose bytes are all read before it ends; it ends only once `end()` is called. */
function lingeringBody(bytes: string): { body: AsyncIterable<Uint8Array>; read: Promise<void>; end: () => void } {
  let markRead: () => void = () => {}
  let end: () => void = () => {}
  const read = new Promise<void>((resolve) => (markRead = resolve))
  const ended = new Promise<void>((resolve) => (end = resolve))
  async function* body(): AsyncGenerator<Uint8Array> {
    yield Buffer.from(bytes)
    markRead()
    await ended
  }
  return { body: body(), read, end }
}

describe('an append asked to release after the last byte of its body', () => {
  async function setUp(length: number | undefined): Promise<{ service: UploadService; id: string }> {
    const service = new UploadService({ store: new MemoryStore(), locker: new MemoryLocker(), maxSize: 0, acquireLockTimeoutMs: 10_000, networkTimeoutMs: 0 })
    const { upload } = await service.create({ length, metadata: {} }, context())
    return { service, id: upload.id }
  }

  it('succeeds with every byte stored when the body announced its size', async () => {
    const { service, id } = await setUp(10)
    const { body, read, end } = lingeringBody('abc')
    const appended = service.append(id, { offset: 0, body, bodySize: 3 }, context())
    appended.catch(() => {})
    await read
    // A status request waits for the lock: it asks the append to release.
    const status = service.status(id, context())
    const result = await appended
    end()
    expect(result.upload.offset).toBe(3)
    expect((await status).offset).toBe(3)
  })

  it('completes the upload the request completes (draft Upload-Complete: ?1, deferred length)', async () => {
    const { service, id } = await setUp(undefined)
    const { body, read, end } = lingeringBody('abc')
    const appended = service.append(id, { offset: 0, body, bodySize: 3, complete: true }, context())
    appended.catch(() => {})
    await read
    const status = service.status(id, context())
    const result = await appended
    end()
    expect(result.upload).toMatchObject({ offset: 3, length: 3 })
    expect(await status).toMatchObject({ offset: 3, length: 3 })
  })

  it('is interrupted when the body did not announce its size: its end was not seen, so it may have had more', async () => {
    const { service, id } = await setUp(10)
    const { body, read, end } = lingeringBody('abc')
    const appended = service.append(id, { offset: 0, body }, context())
    appended.catch(() => {})
    await read
    const status = service.status(id, context())
    await expect(appended).rejects.toBeInstanceOf(UploadInterrupted)
    await expect(appended).rejects.toMatchObject({ offset: 3 })
    end()
    expect((await status).offset).toBe(3)
  })
})
