import { afterEach, expect, it } from 'vitest'
import type { AcquireOptions, Lock, Locker } from '../../src/lock/locker.js'
import { MemoryLocker } from '../../src/lock/memory-locker.js'
import { LockLoss, type StopRequested } from '../../src/model/stop-reasons.js'
import { startGateway, type TestGateway } from '../support/gateway.js'
import { createUpload, idOf, openPatch, waitForStoredBytes } from '../resilience/tus-http.js'

/** A memory locker whose locks the test can make lost, as a Redis lease that ran out or a lock file removed. */
class LosableLocker implements Locker {
  readonly #inner = new MemoryLocker()
  readonly #losses = new Map<string, AbortController>()

  async acquire(id: string, options: AcquireOptions): Promise<Lock> {
    const lock = await this.#inner.acquire(id, options)
    const loss = new AbortController()
    this.#losses.set(id, loss)
    return { ...lock, signal: AbortSignal.any([lock.signal, loss.signal]), lost: loss.signal, release: () => lock.release() }
  }

  lose(id: string): void {
    this.#losses.get(id)?.abort(new LockLoss(id))
  }

  requestStop(id: string, reason: StopRequested): Promise<void> {
    return this.#inner.requestStop(id, reason)
  }

  close(): Promise<void> {
    return this.#inner.close()
  }
}

let gateway: TestGateway | undefined
afterEach(async () => {
  await gateway?.close()
  gateway = undefined
})

it('answers a PATCH whose lock is lost mid-body 503 with Retry-After and the Upload-Offset of the bytes it stored', async () => {
  const locker = new LosableLocker()
  gateway = await startGateway({ locker })
  const url = await createUpload(`http://127.0.0.1:${gateway.port}${gateway.basePath}`, 1024 * 1024)
  const streaming = openPatch(url, 0, 1024 * 1024)
  await streaming.write(Buffer.alloc(100 * 1024, 'l'))
  await waitForStoredBytes(gateway.uploadDir, idOf(url), 100 * 1024)
  locker.lose(idOf(url))
  const end = await streaming.ended
  streaming.request.destroy()
  expect(end).toMatchObject({ status: 503, headers: { 'retry-after': '1', 'upload-offset': String(100 * 1024) } })
  expect((end as { body: string }).body).toContain(`was lost; ${100 * 1024} bytes are stored`)
})
