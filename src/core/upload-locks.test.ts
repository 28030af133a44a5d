import { getEventListeners } from 'node:events'
import { describe, expect, it } from 'vitest'
import { MemoryLocker } from '../lock/memory-locker.js'
import { LockLost, LockTimeout, ShuttingDown } from '../model/errors.js'
import { ClientGone, LockLoss, ShutdownRequested } from '../model/stop-reasons.js'
import { UploadLocks } from './upload-locks.js'

describe('UploadLocks', () => {
  it('leaves no listener on the request signal once the lock is granted or the wait ends', async () => {
    const locks = new UploadLocks(new MemoryLocker(), 10_000)
    const request = new AbortController()
    const held = await locks.lock('a', { signal: request.signal })
    expect(getEventListeners(request.signal, 'abort')).toHaveLength(0)
    const waiting = locks.lock('a', { signal: request.signal })
    await held.release()
    await (await waiting).release()
    expect(getEventListeners(request.signal, 'abort')).toHaveLength(0)
  })

  it('answers LockTimeout when the holder does not let go in time', async () => {
    const locks = new UploadLocks(new MemoryLocker(), 10_000)
    const held = await locks.lock('a', { signal: new AbortController().signal })
    await expect(locks.lock('a', { signal: new AbortController().signal }, { timeoutMs: 30 })).rejects.toBeInstanceOf(LockTimeout)
    await held.release()
  })

  it('rejects with the reason of a request that goes away, and with ShuttingDown at shutdown', async () => {
    const locks = new UploadLocks(new MemoryLocker(), 10_000)
    const held = await locks.lock('a', { signal: new AbortController().signal })
    const gone = new AbortController()
    const leaving = locks.lock('a', { signal: gone.signal })
    gone.abort(new ClientGone())
    await expect(leaving).rejects.toBeInstanceOf(ClientGone)
    const stopping = new AbortController()
    const stopped = locks.lock('a', { signal: stopping.signal })
    stopping.abort(new ShutdownRequested())
    await expect(stopped).rejects.toBeInstanceOf(ShuttingDown)
    const already = new AbortController()
    already.abort(new ClientGone())
    await expect(locks.lock('b', { signal: already.signal })).rejects.toBeInstanceOf(ClientGone)
    await held.release()
  })

  it('turns a lost lock met by the work (a store call on its aborted `lost` signal) into the LockLost fact', async () => {
    const locks = new UploadLocks(new MemoryLocker(), 10_000)
    const lost = locks.withLock('a', { signal: new AbortController().signal }, () => Promise.reject(new LockLoss('a')))
    await expect(lost).rejects.toBeInstanceOf(LockLost)
    const other = new Error('disk on fire')
    await expect(locks.withLock('a', { signal: new AbortController().signal }, () => Promise.reject(other))).rejects.toBe(other)
  })
})
