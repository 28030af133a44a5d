import { describe, expect, it } from 'vitest'
import { BlockBuffers } from './block-buffers.js'

const NEVER = new AbortController().signal

describe('BlockBuffers', () => {
  it('hands out buffers within the limit at once, reuses released ones while any is held, and keeps none once idle', async () => {
    const buffers = new BlockBuffers(300)
    const a = await buffers.acquire(100, NEVER)
    const b = await buffers.acquire(200, NEVER)
    expect([a.length, b.length, buffers.held]).toEqual([100, 200, 300])
    buffers.release(a)
    expect(await buffers.acquire(100, NEVER)).toBe(a)
    buffers.release(a)
    buffers.release(b)
    expect(buffers.held).toBe(0)
    expect(await buffers.acquire(100, NEVER)).not.toBe(a)
  })

  it('makes acquirers past the limit wait, first come first served, until buffers come back', async () => {
    const buffers = new BlockBuffers(200)
    const first = await buffers.acquire(100, NEVER)
    const second = await buffers.acquire(100, NEVER)
    const order: string[] = []
    const big = buffers.acquire(200, NEVER).then((buffer) => (order.push('big'), buffer))
    const small = buffers.acquire(100, NEVER).then((buffer) => (order.push('small'), buffer))
    await new Promise((resolve) => setImmediate(resolve))
    expect(order).toEqual([])
    buffers.release(first)
    await new Promise((resolve) => setImmediate(resolve))
    // The small one would fit now, but the big one came first.
    expect(order).toEqual([])
    buffers.release(second)
    buffers.release(await big)
    await small
    expect(order).toEqual(['big', 'small'])
  })

  it('gives a buffer larger than the limit its turn when nothing else is held', async () => {
    const buffers = new BlockBuffers(100)
    const held = await buffers.acquire(50, NEVER)
    const huge = buffers.acquire(500, NEVER)
    buffers.release(held)
    expect((await huge).length).toBe(500)
    expect(buffers.held).toBe(500)
  })

  it('rejects a waiter whose signal aborts with its reason, and lets the next one through', async () => {
    const buffers = new BlockBuffers(100)
    const held = await buffers.acquire(60, NEVER)
    const controller = new AbortController()
    const reason = new Error('let go')
    const waiting = buffers.acquire(60, controller.signal)
    const next = buffers.acquire(40, NEVER)
    controller.abort(reason)
    await expect(waiting).rejects.toBe(reason)
    expect((await next).length).toBe(40)
    expect(buffers.held).toBe(100)
    buffers.release(held)
    await expect(buffers.acquire(1, AbortSignal.abort(reason))).rejects.toBe(reason)
  })

  it('keeps released buffers only as far as the limit allows', async () => {
    const buffers = new BlockBuffers(100)
    const held = await buffers.acquire(10, NEVER)
    const a = await buffers.acquire(60, NEVER)
    buffers.release(a)
    // A buffer of another size: the kept 60 bytes give way rather than pass the limit.
    const b = await buffers.acquire(80, NEVER)
    expect(b).not.toBe(a)
    buffers.release(held)
    buffers.release(b)
    expect(buffers.held).toBe(0)
  })
})
