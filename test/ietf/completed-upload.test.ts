import { expect, it } from 'vitest'
import type { AcquireOptions, Lock, Locker } from '../../src/lock/locker.js'
import type { StopRequested } from '../../src/model/stop-reasons.js'
import { MemoryLocker } from '../../src/lock/memory-locker.js'
import { pathOf } from '../support/tus.js'
import { appendHeaders, completeness, createDraftUpload, eachDraftTransport, retrieveOffset, VERSIONS } from './draft-cases.js'

/** A memory locker that tells when it grants an upload's lock, so a test knows a request holds the upload. */
class WatchedLocker implements Locker {
  readonly #locker = new MemoryLocker()
  readonly #watchers = new Map<string, () => void>()

  async acquire(id: string, options: AcquireOptions): Promise<Lock> {
    const lock = await this.#locker.acquire(id, options)
    this.#watchers.get(id)?.()
    this.#watchers.delete(id)
    return lock
  }

  requestStop(id: string, reason: StopRequested): Promise<void> {
    return this.#locker.requestStop(id, reason)
  }

  /** Outlives the gateways that use it (one per transport): the test owns it. */
  async close(): Promise<void> {}

  /** Resolves when the lock of `id` is next granted. */
  nextGrant(id: string): Promise<void> {
    return new Promise((resolve) => this.#watchers.set(id, resolve))
  }
}

/** A chunked request body that sends nothing until `release()` is called. */
function stalledBody(): { body: AsyncIterable<Uint8Array>; release: () => void } {
  let release: () => void = () => {}
  const released = new Promise<void>((resolve) => (release = resolve))
  async function* body(): AsyncGenerator<Uint8Array> {
    // An empty write sends the request head; the content then never comes.
    yield new Uint8Array(0)
    await released
  }
  return { body: body(), release }
}

const locker = new WatchedLocker()

// The lock timeout is short: a HEAD that had to wait for it would fail the test quickly with a 503.
eachDraftTransport({ locker, acquireLockTimeoutMs: 2_000, progressIntervalMs: 0 }, (context) => {
  it.each(VERSIONS.map((v) => [v]))(
    '[R-60] [R-71] [R-09] a stalled chunked append to a completed upload holds nothing: a HEAD answers at once and the upload stays complete (interop %i)',
    async (v) => {
      const { client, gateway, transport } = context()
      const url = pathOf(await createDraftUpload(client, gateway.basePath, v, { data: 'abc', complete: true }))
      const own = transport.connect(gateway)
      const stalled = stalledBody()
      const holding = locker.nextGrant(url.slice(url.lastIndexOf('/') + 1))
      const append = own.request({ method: 'PATCH', url, headers: appendHeaders(v, 3, true), body: stalled.body }).catch((error: Error) => error)
      await holding
      const head = await retrieveOffset(client, url, v)
      expect(head.status, head.text).toBe(204)
      expect(head.headers).toMatchObject({ 'upload-offset': '3', ...completeness(v, true) })
      stalled.release()
      await append
      own.destroy()
      expect((await client.request({ method: 'GET', url })).text).toBe('abc')
    },
  )
})
