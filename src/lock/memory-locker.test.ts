import { getEventListeners } from 'node:events'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { describe, expect, it } from 'vitest'
import { LockBusy } from '../model/errors.js'
import { LockLoss, ReleaseRequested, ShutdownRequested, StopRequested } from '../model/stop-reasons.js'
import { runLockerSuite } from './conformance.suite.js'
import type { AcquireOptions, Lock, Locker } from './locker.js'
import { MemoryLocker } from './memory-locker.js'

runLockerSuite('memory', {
  make: async () => {
    const locker = new MemoryLocker()
    return { locker, cleanup: () => locker.close() }
  },
  maxWaiters: 64,
  // Grants and release requests are synchronous here: a few milliseconds is plenty.
  settleMs: 10,
})

/**
 * A stand-in for a locker whose locks can be lost (a Redis lease), built on one MemoryLocker shared by two
 * instances that play two processes. It runs the suite's lock-loss test and its two-locker pairings here,
 * so that they are proven before the first locker that needs them (file, Redis) relies on them.
 */
class LosableLocker implements Locker {
  constructor(
    readonly backend: MemoryLocker,
    /** How to make the holder of an id lose it; shared by the instances on one backend. */
    readonly losers: Map<string, () => void>,
  ) {}

  async acquire(id: string, options: AcquireOptions): Promise<Lock> {
    const lock = await this.backend.acquire(id, options)
    const lost = new AbortController()
    const lose = (): void => {
      lost.abort(new LockLoss(id))
      void lock.release()
    }
    this.losers.set(id, lose)
    return {
      signal: AbortSignal.any([lock.signal, lost.signal]),
      lost: lost.signal,
      fence: lock.fence,
      release: async () => {
        if (this.losers.get(id) === lose) this.losers.delete(id)
        await lock.release()
      },
    }
  }

  lose(id: string): void {
    this.losers.get(id)?.()
    this.losers.delete(id)
  }

  requestStop(id: string, reason: StopRequested): Promise<void> {
    return this.backend.requestStop(id, reason)
  }

  close(): Promise<void> {
    return this.backend.close()
  }
}

runLockerSuite('memory behind a stand-in that can lose locks, two instances on one backend', {
  make: async () => {
    const backend = new MemoryLocker()
    const losers = new Map<string, () => void>()
    return { locker: new LosableLocker(backend, losers), peer: new LosableLocker(backend, losers), cleanup: () => backend.close() }
  },
  capabilities: { lockLoss: async (locker, id) => (locker as LosableLocker).lose(id) },
  settleMs: 10,
})

function wait(options: Omit<AcquireOptions, 'signal'> = {}): AcquireOptions {
  return { signal: new AbortController().signal, ...options }
}

/** Settles once pending callbacks have run, so that a grant that was going to happen has happened. */
async function settle(): Promise<void> {
  await new Promise<void>((resolve) => setImmediate(resolve))
}

/** A full garbage collection, so a test can tell what the locker still references. */
function collectGarbage(): void {
  setFlagsFromString('--expose-gc')
  ;(runInNewContext('gc') as () => void)()
}

describe('MemoryLocker', () => {
  it('refuses a maxWaiters that is not a whole number >= 0', () => {
    for (const maxWaiters of [-1, 1.5, Number.NaN]) expect(() => new MemoryLocker({ maxWaiters })).toThrow(RangeError)
    expect(() => new MemoryLocker({ maxWaiters: 0 })).not.toThrow()
    expect(() => new MemoryLocker({ maxWaiters: Infinity })).not.toThrow()
  })

  it('lets 64 requests wait per id by default and refuses the 65th with LockBusy', async () => {
    const locker = new MemoryLocker()
    await locker.acquire('a', wait())
    const waiters = Array.from({ length: 64 }, () => locker.acquire('a', wait({ requestRelease: false })))
    await expect(locker.acquire('a', wait())).rejects.toEqual(new LockBusy('a', 64))
    // Another id has its own queue.
    await expect(locker.acquire('b', wait())).resolves.toBeDefined()
    await locker.close()
    await Promise.allSettled(waiters)
  })

  it('with maxWaiters 0, refuses every request that finds the lock held, and grants a free one', async () => {
    const locker = new MemoryLocker({ maxWaiters: 0 })
    const holder = await locker.acquire('a', wait())
    await expect(locker.acquire('a', wait())).rejects.toEqual(new LockBusy('a', 0))
    // A refused request does not disturb the holder.
    expect(holder.signal.aborted).toBe(false)
    await holder.release()
    await (await locker.acquire('a', wait())).release()
  })

  it('drops 100,000 aborted waiters at once: the queue empties and nothing of them stays reachable', async () => {
    const count = 100_000
    const locker = new MemoryLocker({ maxWaiters: count })
    const holder = await locker.acquire('a', wait({ requestRelease: false }))
    const signals: WeakRef<AbortSignal>[] = []
    let rejected = 0
    {
      const controllers: AbortController[] = []
      for (let i = 0; i < count; i++) {
        const controller = new AbortController()
        controllers.push(controller)
        signals.push(new WeakRef(controller.signal))
        locker.acquire('a', { signal: controller.signal, requestRelease: false }).catch(() => rejected++)
      }
      // Out of order, as resets arrive: every other one, then the rest from the back.
      for (let i = 0; i < count; i += 2) controllers[i]?.abort(new Error('stream reset'))
      for (let i = count - 1; i > 0; i -= 2) controllers[i]?.abort(new Error('stream reset'))
      controllers.length = 0
    }
    await settle()
    expect(rejected).toBe(count)
    // No signal of an aborted waiter is held any more: neither by the queue (the waiter left it) nor by a
    // listener, closure or promise the locker kept.
    collectGarbage()
    expect(signals.filter((ref) => ref.deref() !== undefined)).toHaveLength(0)
    // The holder hands over to nobody: the lock is free, and the holder was never asked to release.
    expect(holder.signal.aborted).toBe(false)
    await holder.release()
    const next = await locker.acquire('a', wait())
    expect(next.signal.aborted).toBe(false)
  })

  it('leaves no listener on the signal of a waiter once it holds the lock', async () => {
    const locker = new MemoryLocker()
    const holder = await locker.acquire('a', wait())
    const signal = new AbortController().signal
    const waiter = locker.acquire('a', { signal })
    expect(getEventListeners(signal, 'abort')).toHaveLength(1)
    await holder.release()
    await waiter
    expect(getEventListeners(signal, 'abort')).toHaveLength(0)
  })

  it('passes over a waiter whose signal aborted while the lock was being handed to it', async () => {
    const locker = new MemoryLocker()
    const holder = await locker.acquire('a', wait())
    const gone = new AbortController()
    // This listener runs before the locker's, so the hand-over meets a waiter that is aborted but still queued.
    gone.signal.addEventListener('abort', () => void holder.release())
    const waiter = locker.acquire('a', { signal: gone.signal })
    const next = locker.acquire('a', wait())
    const reason = new Error('client gone')
    gone.abort(reason)
    await expect(waiter).rejects.toBe(reason)
    const lock = await next
    await settle()
    expect(lock.signal.aborted).toBe(false)
  })

  it('keeps the first reason: a stop request after a release request leaves the holder asked to release', async () => {
    const locker = new MemoryLocker()
    const holder = await locker.acquire('a', wait())
    const waiter = locker.acquire('a', wait())
    await locker.requestStop('a', new StopRequested({ terminate: true }))
    expect(holder.signal.reason).toBeInstanceOf(ReleaseRequested)
    await holder.release()
    await (await waiter).release()
  })

  it('after close(), refuses new requests with ShutdownRequested and takes a late release or a second close calmly', async () => {
    const locker = new MemoryLocker()
    const holder = await locker.acquire('a', wait())
    await locker.close()
    await expect(locker.acquire('b', wait())).rejects.toBeInstanceOf(ShutdownRequested)
    await holder.release()
    await locker.requestStop('a', new StopRequested())
    await locker.close()
  })
})
