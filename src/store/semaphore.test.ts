import { getEventListeners } from 'node:events'
import { describe, expect, it } from 'vitest'
import { Semaphore } from './semaphore.js'

const NEVER = new AbortController().signal

describe('Semaphore', () => {
  it('grants up to its limit, then in arrival order as places are released', async () => {
    const semaphore = new Semaphore(2)
    const first = await semaphore.acquire(NEVER)
    const second = await semaphore.acquire(NEVER)
    const order: number[] = []
    const third = semaphore.acquire(NEVER).then((release) => (order.push(3), release))
    const fourth = semaphore.acquire(NEVER).then((release) => (order.push(4), release))
    await Promise.resolve()
    expect(order).toEqual([])
    first()
    first()
    await third
    expect(order).toEqual([3])
    expect(semaphore.held).toBe(2)
    second()
    ;(await fourth)()
    expect(order).toEqual([3, 4])
  })

  it('rejects a waiter whose signal aborts, taking no place', async () => {
    const semaphore = new Semaphore(1)
    const held = await semaphore.acquire(NEVER)
    const controller = new AbortController()
    const waiting = semaphore.acquire(controller.signal)
    const reason = new Error('stop')
    controller.abort(reason)
    await expect(waiting).rejects.toBe(reason)
    held()
    expect(semaphore.held).toBe(0)
    ;(await semaphore.acquire(NEVER))()
  })
  it('listens once to a signal however many of its waiters wait (one upload\'s 20 buffered parts): node warns of a leak past 10', async () => {
    const semaphore = new Semaphore(1)
    const held = await semaphore.acquire(NEVER)
    const controller = new AbortController()
    const firstWaiter = semaphore.acquire(controller.signal)
    const others = Array.from({ length: 19 }, () => semaphore.acquire(controller.signal))
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(1)
    held()
    const first = await firstWaiter
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(1)
    const reason = new Error('stop')
    controller.abort(reason)
    for (const other of others) await expect(other).rejects.toBe(reason)
    first()
    expect(semaphore.held).toBe(0)
    expect(semaphore.demand).toBe(0)
  })

  it('stops listening to a signal once its last waiter is granted', async () => {
    const semaphore = new Semaphore(1)
    const held = await semaphore.acquire(NEVER)
    const controller = new AbortController()
    const first = semaphore.acquire(controller.signal)
    const second = semaphore.acquire(controller.signal)
    held()
    ;(await first)()
    ;(await second)()
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0)
  })
})
