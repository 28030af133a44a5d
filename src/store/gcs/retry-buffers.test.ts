import { describe, expect, it } from 'vitest'
import { RetryBuffers } from './retry-buffers.js'

describe('RetryBuffers', () => {
  it('hands out at most count buffers of its size, and the same ones again once given back', () => {
    const buffers = new RetryBuffers(1024, 2)
    const first = buffers.take()
    const second = buffers.take()
    expect([first?.length, second?.length]).toEqual([1024, 1024])
    expect(buffers.take()).toBeUndefined()
    buffers.give(first as Buffer)
    expect(buffers.take()).toBe(first)
    expect(buffers.take()).toBeUndefined()
  })

  it('may have none, and refuses sizes and counts that are not byte counts', () => {
    expect(new RetryBuffers(8, 0).take()).toBeUndefined()
    expect(() => new RetryBuffers(0, 1)).toThrow(RangeError)
    expect(() => new RetryBuffers(8, -1)).toThrow(RangeError)
    expect(() => new RetryBuffers(8, 1.5)).toThrow(RangeError)
  })
})
