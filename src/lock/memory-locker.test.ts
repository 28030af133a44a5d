import { setTimeout as sleep } from 'node:timers/promises'
import { describe, expect, it, vi } from 'vitest'
import type { AcquireOptions } from './locker.js'
import { MemoryLocker } from './memory-locker.js'

function options(onReleaseRequested: () => void = () => {}, signal = new AbortController().signal): AcquireOptions {
  return { signal, onReleaseRequested }
}

/** Settles once the microtask queue has drained, so a grant that was going to happen has happened. */
async function settle(): Promise<void> {
  await new Promise<void>((resolve) => setImmediate(resolve))
}

/** Tracks whether a promise has resolved yet, without awaiting it. */
function track<T>(promise: Promise<T>): { readonly done: boolean; readonly value: Promise<T> } {
  const state = { done: false, value: promise }
  promise.then(
    () => (state.done = true),
    () => (state.done = true),
  )
  return state
}

describe('MemoryLocker', () => {
  it('grants a free lock at once and asks nobody to release', async () => {
    const locker = new MemoryLocker()
    const onReleaseRequested = vi.fn()
    const lock = await locker.acquire('a', options(onReleaseRequested))
    expect(onReleaseRequested).not.toHaveBeenCalled()
    await lock.release()
  })

  it('keeps locks of different uploads apart', async () => {
    const locker = new MemoryLocker()
    const holder = vi.fn()
    const a = await locker.acquire('a', options(holder))
    const b = await locker.acquire('b', options())
    expect(holder).not.toHaveBeenCalled()
    await Promise.all([a.release(), b.release()])
  })

  it('makes a second request wait and asks the holder to release exactly once', async () => {
    const locker = new MemoryLocker()
    const holderAsked = vi.fn()
    const first = await locker.acquire('a', options(holderAsked))
    const second = track(locker.acquire('a', options()))
    await settle()
    expect(second.done).toBe(false)
    expect(holderAsked).toHaveBeenCalledTimes(1)
    await first.release()
    const lock = await second.value
    expect(holderAsked).toHaveBeenCalledTimes(1)
    await lock.release()
  })

  it('hands the lock over in arrival order (FIFO)', async () => {
    const locker = new MemoryLocker()
    const order: string[] = []
    const first = await locker.acquire('a', options())
    const waiters = ['b', 'c', 'd'].map((name) =>
      locker.acquire('a', options()).then(async (lock) => {
        order.push(name)
        await settle()
        await lock.release()
      }),
    )
    await first.release()
    await Promise.all(waiters)
    expect(order).toEqual(['b', 'c', 'd'])
  })

  it('asks the new holder to release when others still wait', async () => {
    const locker = new MemoryLocker()
    const first = await locker.acquire('a', options())
    const secondAsked = vi.fn()
    const thirdAsked = vi.fn()
    const second = locker.acquire('a', options(secondAsked))
    const third = locker.acquire('a', options(thirdAsked))
    await first.release()
    const secondLock = await second
    // The third request still waits, so the second is asked on its behalf, once.
    expect(secondAsked).toHaveBeenCalledTimes(1)
    await secondLock.release()
    const thirdLock = await third
    // Nobody waits behind the third: it is left alone.
    expect(thirdAsked).not.toHaveBeenCalled()
    await thirdLock.release()
  })

  it('rejects a waiter whose signal aborts with the signal reason, and keeps the queue intact', async () => {
    const locker = new MemoryLocker()
    const first = await locker.acquire('a', options())
    const timeout = new AbortController()
    const reason = new Error('acquire-lock timeout')
    const impatient = locker.acquire('a', options(() => {}, timeout.signal))
    const patient = track(locker.acquire('a', options()))
    timeout.abort(reason)
    await expect(impatient).rejects.toBe(reason)
    await settle()
    expect(patient.done).toBe(false)
    await first.release()
    const lock = await patient.value
    await lock.release()
    // The queue is empty again: the lock is free for the next request.
    const again = await locker.acquire('a', options())
    await again.release()
  })

  it('rejects at once when the signal is already aborted, without asking the holder', async () => {
    const locker = new MemoryLocker()
    const holderAsked = vi.fn()
    const first = await locker.acquire('a', options(holderAsked))
    const reason = new Error('client gone')
    await expect(locker.acquire('a', options(() => {}, AbortSignal.abort(reason)))).rejects.toBe(reason)
    expect(holderAsked).not.toHaveBeenCalled()
    await first.release()
  })

  it('treats a second release as harmless: it does not pass on a lock held by someone else', async () => {
    const locker = new MemoryLocker()
    const first = await locker.acquire('a', options())
    const second = locker.acquire('a', options())
    await first.release()
    const secondLock = await second
    const third = track(locker.acquire('a', options()))
    // A stale second release of the first lock must not take the lock from its new holder.
    await first.release()
    await settle()
    expect(third.done).toBe(false)
    await secondLock.release()
    await (await third.value).release()
  })

  it('frees the lock entirely once the last holder releases', async () => {
    const locker = new MemoryLocker()
    for (let i = 0; i < 3; i++) await (await locker.acquire('a', options())).release()
    const holderAsked = vi.fn()
    const fresh = await locker.acquire('a', options(holderAsked))
    const next = locker.acquire('a', options())
    expect(holderAsked).toHaveBeenCalledTimes(1)
    await fresh.release()
    await (await next).release()
  })

  it('waits on events, not by polling: a waiter burns almost no CPU', async () => {
    const locker = new MemoryLocker()
    const holder = await locker.acquire('a', options())
    const waiter = locker.acquire('a', options())
    const before = process.cpuUsage()
    await sleep(200)
    const used = process.cpuUsage(before)
    await holder.release()
    await (await waiter).release()
    // A polling waiter (setImmediate in a loop, as @tus/server's locker) burns a full core: ~200 ms of CPU
    // in 200 ms. Waiting on an event costs next to nothing; 50 ms is a generous bound for a busy machine.
    expect((used.user + used.system) / 1000).toBeLessThan(50)
  })
})
