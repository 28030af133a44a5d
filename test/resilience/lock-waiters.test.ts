import { execFile } from 'node:child_process'
import { open, readFile, unlink, writeFile } from 'node:fs/promises'
import http2 from 'node:http2'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { promisify } from 'node:util'
import { afterEach, describe, expect, it } from 'vitest'
import type { AcquireOptions, Lock, Locker } from '../../src/lock/locker.js'
import { MemoryLocker } from '../../src/lock/memory-locker.js'
import type { StopRequested } from '../../src/model/stop-reasons.js'
import { startGateway, type TestGateway } from '../support/gateway.js'
import { answer, connect } from '../transport/h2.js'
import { createUpload, idOf, send, type Reply } from './tus-http.js'

// Requests waiting for one upload (issue 10, item 1), through a real gateway: a request whose client
// went away leaves the lock's queue at once, and status reads of one upload share one place in it. The
// queue has room for 4 here; the upload's holder is stuck in the store (its `.info` is a FIFO nobody
// writes, as a hung network file system), so nothing moves until the test lets it go.

/** The memory locker, counting the requests that wait for a lock and the most that ever waited at once. */
class CountingLocker implements Locker {
  readonly #inner = new MemoryLocker({ maxWaiters: 4 })
  waiting = 0
  mostWaiting = 0
  granted = 0

  async acquire(id: string, options: AcquireOptions): Promise<Lock> {
    this.waiting += 1
    this.mostWaiting = Math.max(this.mostWaiting, this.waiting)
    try {
      const lock = await this.#inner.acquire(id, options)
      this.granted += 1
      return lock
    } finally {
      this.waiting -= 1
    }
  }

  requestStop(id: string, reason: StopRequested): Promise<void> {
    return this.#inner.requestStop(id, reason)
  }

  close(): Promise<void> {
    return this.#inner.close()
  }
}

/** Resolves once `condition` holds, looking every 10 ms; throws after `timeoutMs`. */
async function until(what: string, condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`)
    await sleep(10)
  }
}

/**
 * Makes the upload's `.info` a FIFO: the next request to read it is stuck there, holding the upload's lock.
 * `unstick` gives the stuck reader the real `.info` and puts the file back for everyone after.
 */
async function stickUpload(uploadDir: string, id: string): Promise<{ unstick(): Promise<void> }> {
  const path = join(uploadDir, `${id}.info`)
  const info = await readFile(path)
  await unlink(path)
  await promisify(execFile)('mkfifo', [path])
  return {
    async unstick() {
      // Open the FIFO while it is still at its path, then put the real file there, then feed the reader.
      const fifo = await open(path, 'w')
      await unlink(path)
      await writeFile(path, info)
      await fifo.writeFile(info)
      await fifo.close()
    },
  }
}

describe('requests waiting for one upload', () => {
  let gateway: TestGateway | undefined
  afterEach(async () => {
    await gateway?.close()
    gateway = undefined
  })

  async function start(locker: CountingLocker): Promise<{ url: string; path: string; id: string; uploadDir: string }> {
    gateway = await startGateway({ locker, acquireLockTimeoutMs: 60_000 })
    const url = await createUpload(`http://127.0.0.1:${gateway.port}${gateway.basePath}`, 10)
    return { url, path: new URL(url).pathname, id: idOf(url), uploadDir: gateway.uploadDir }
  }

  it('a request whose client resets its HTTP/2 stream leaves the queue at once, and its place serves another', async () => {
    const locker = new CountingLocker()
    const { url, path, id, uploadDir } = await start(locker)
    const stuck = await stickUpload(uploadDir, id)
    const holder = send('HEAD', url)
    await until('the HEAD holds the lock', () => locker.granted === 1)

    const session = connect((gateway as TestGateway).port)
    const streams = Array.from({ length: 4 }, () => session.request({ ':method': 'DELETE', ':path': path, 'tus-resumable': '1.0.0' }))
    const closed = streams.map((stream) => answer(stream))
    await until('4 DELETEs wait', () => locker.waiting === 4)
    for (const stream of streams) stream.close(http2.constants.NGHTTP2_CANCEL)
    await Promise.all(closed)
    await until('the reset DELETEs have left the queue', () => locker.waiting === 0)

    // Their places are free: 4 more requests wait there rather than being refused with 423.
    const deletes = Array.from({ length: 4 }, () => send('DELETE', url))
    await until('4 other DELETEs wait', () => locker.waiting === 4)
    await stuck.unstick()
    expect((await holder).status).toBe(200)
    const statuses = (await Promise.all(deletes)).map((reply) => reply.status).sort()
    expect(statuses).toEqual([204, 404, 404, 404])
    session.destroy()
  })

  it('status reads of one upload share one place in the queue, and each is answered with the offset', async () => {
    const locker = new CountingLocker()
    const { url, path, id, uploadDir } = await start(locker)
    await send('PATCH', url, { 'upload-offset': '0', 'content-type': 'application/offset+octet-stream' }, 'abc')
    const stuck = await stickUpload(uploadDir, id)
    const holder = send('HEAD', url)
    await until('the HEAD holds the lock', () => locker.granted === 2)

    // 60 HEADs over HTTP/2 on one connection and 10 over HTTP/1.1, with room for 4 waiters.
    const session = connect((gateway as TestGateway).port)
    const h2 = Array.from({ length: 60 }, () => answer(session.request({ ':method': 'HEAD', ':path': path, 'tus-resumable': '1.0.0' })))
    const h1: Array<Promise<Reply>> = Array.from({ length: 10 }, () => send('HEAD', url))
    await until('a status read waits', () => locker.waiting === 1)
    // Time for all of them to arrive: without sharing, 66 would have been refused with 423 by now.
    await sleep(500)
    await stuck.unstick()
    expect((await holder).headers['upload-offset']).toBe('3')
    const answers = [...(await Promise.all(h2)).map((reply) => [reply.status, reply.headers['upload-offset']]), ...(await Promise.all(h1)).map((reply) => [reply.status, reply.headers['upload-offset']])]
    expect(answers).toEqual(Array(70).fill([200, '3']))
    expect(locker.mostWaiting).toBe(1)
    session.destroy()
  })
})
