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
})
