import { describe, expect, it } from 'vitest'
import { consumeBody } from './consume-body.js'

const NEVER = new AbortController().signal

describe('consumeBody', () => {
  it('feeds every chunk, waiting for each, and says the body ended', async () => {
    const seen: string[] = []
    async function* body(): AsyncGenerator<Uint8Array> {
      yield Buffer.from('a')
      yield Buffer.from('b')
    }
    const end = await consumeBody(body(), NEVER, async (chunk) => {
      await new Promise((resolve) => setTimeout(resolve, 5))
      seen.push(Buffer.from(chunk).toString())
    })
    expect(end).toBe('ended')
    expect(seen).toEqual(['a', 'b'])
  })

  it('stops at an abort while the body waits, and releases the body', async () => {
    const controller = new AbortController()
    let released = false
    const iterator: AsyncIterator<Uint8Array> = {
      next: () => new Promise(() => undefined),
      return: async () => {
        released = true
        return { done: true, value: undefined }
      },
    }
    setTimeout(() => controller.abort(), 5)
    expect(await consumeBody({ [Symbol.asyncIterator]: () => iterator }, controller.signal, () => undefined)).toBe('aborted')
    expect(released).toBe(true)
  })

  it('reads nothing once the signal is aborted', async () => {
    const controller = new AbortController()
    controller.abort()
    let read = false
    async function* body(): AsyncGenerator<Uint8Array> {
      read = true
      yield Buffer.from('a')
    }
    expect(await consumeBody(body(), controller.signal, () => undefined)).toBe('aborted')
    expect(read).toBe(false)
  })

  it("rethrows the body's error after feeding what came before it", async () => {
    const failure = new Error('reset')
    async function* body(): AsyncGenerator<Uint8Array> {
      yield Buffer.from('a')
      throw failure
    }
    const seen: number[] = []
    await expect(consumeBody(body(), NEVER, (chunk) => void seen.push(chunk.length))).rejects.toBe(failure)
    expect(seen).toEqual([1])
  })

  it("releases the body when the consumer fails, and rethrows the consumer's error", async () => {
    let finished = false
    async function* body(): AsyncGenerator<Uint8Array> {
      try {
        yield Buffer.from('a')
        yield Buffer.from('b')
      } finally {
        finished = true
      }
    }
    const full = new Error('ENOSPC')
    await expect(
      consumeBody(body(), NEVER, () => {
        throw full
      }),
    ).rejects.toBe(full)
    await new Promise((resolve) => setImmediate(resolve))
    expect(finished).toBe(true)
  })
})
