import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pino } from 'pino'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import {
  createGateway,
  FileStore,
  MemoryLocker,
  type AcquireOptions,
  type Gateway,
  type Lock,
  type Locker,
  type StopRequested,
  type Upload,
} from '../../src/index.js'
import { connect } from './tcp-connect.js'
import { createUpload, head, idOf, offsetOf, openPatch, patch, waitForStoredBytes } from './tus-http.js'

// The gateway as a library, through the package's entry point: createGateway, listen, close, and a
// Store or Locker of one's own. These are the claims of the README's "library" section.

const silent = pino({ level: 'silent' })

/** A FileStore that counts the bytes it was asked to store, as an application's own store might. */
class CountingStore extends FileStore {
  appended = 0

  override async open(id: string, signal: AbortSignal): ReturnType<FileStore['open']> {
    const upload = await super.open(id, signal)
    const append = upload.append.bind(upload)
    upload.append = async (body: AsyncIterable<Uint8Array>, appendSignal: AbortSignal): Promise<Upload> => {
      const before = upload.state.offset
      const after = await append(body, appendSignal)
      this.appended += after.offset - before
      return after
    }
    return upload
  }
}

/** A Locker that records the uploads it locked, around the MemoryLocker. */
class RecordingLocker implements Locker {
  readonly locked: string[] = []
  readonly #inner = new MemoryLocker()

  acquire(id: string, options: AcquireOptions): Promise<Lock> {
    this.locked.push(id)
    return this.#inner.acquire(id, options)
  }

  requestStop(id: string, reason: StopRequested): Promise<void> {
    return this.#inner.requestStop(id, reason)
  }

  close(): Promise<void> {
    return this.#inner.close()
  }
}

describe('embedding the gateway', () => {
  let uploadDir: string
  let gateway: Gateway | undefined

  beforeEach(async () => {
    uploadDir = await mkdtemp(join(tmpdir(), 'rg-embed-'))
  })
  afterEach(async () => {
    await gateway?.close()
    gateway = undefined
    await rm(uploadDir, { recursive: true, force: true })
  })

  it('listen() resolves with the collection URL on the real port; close() stops it', async () => {
    gateway = await createGateway({ host: '127.0.0.1', port: 0, basePath: 'uploads', uploadDir, logger: silent })
    const url = await gateway.listen()
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/uploads\/$/)
    expect(gateway.url).toBe(url)
    expect((await head(await createUpload(url, 1))).status).toBe(200)

    const closing = gateway.close()
    expect(gateway.close()).toBe(closing)
    await closing
    await expect(connect(Number(new URL(url).port))).rejects.toMatchObject({ code: 'ECONNREFUSED' })
  })

  it('uses the Store and the Locker it is given', async () => {
    const store = new CountingStore({ directory: uploadDir })
    const locker = new RecordingLocker()
    gateway = await createGateway({ host: '127.0.0.1', port: 0, store, locker, logger: silent })
    const url = await createUpload(await gateway.listen(), 5)
    expect((await patch(url, 0, Buffer.from('hello'))).status).toBe(204)
    expect(store.appended).toBe(5)
    expect(locker.locked).toContain(idOf(url))
  })

  it('answers 423 when a Locker never grants the lock within acquireLockTimeoutMs', async () => {
    // A holder elsewhere (another process, another host) that ignores release requests.
    const stuck: Locker = {
      acquire: (_id, options) =>
        new Promise((_, reject) => options.signal.addEventListener('abort', () => reject(options.signal.reason))),
      requestStop: async () => {},
      close: async () => {},
    }
    gateway = await createGateway({
      host: '127.0.0.1',
      port: 0,
      uploadDir,
      locker: stuck,
      acquireLockTimeoutMs: 100,
      logger: silent,
    })
    const collection = await gateway.listen()
    const url = await createUpload(collection, 5)
    expect((await head(url)).status).toBe(423)
  })

  it('close() lets an in-flight upload save its bytes and answer 503', async () => {
    gateway = await createGateway({ host: '127.0.0.1', port: 0, uploadDir, logger: silent })
    const url = await createUpload(await gateway.listen(), 100)
    const streaming = openPatch(url, 0, 100)
    await streaming.write(Buffer.alloc(40, 'x'))
    await waitForStoredBytes(uploadDir, idOf(url), 40)
    const closing = gateway.close()
    expect(await streaming.ended).toMatchObject({ status: 503 })
    streaming.request.destroy()
    await closing

    gateway = await createGateway({ host: '127.0.0.1', port: 0, uploadDir, logger: silent })
    const origin = new URL(await gateway.listen()).origin
    expect(await offsetOf(new URL(new URL(url).pathname, origin).href)).toBe(40)
  })
})
