import { describe, expect, it } from 'vitest'
import type { Exchange } from '../../transport/exchange.js'
import { BodyTap, ContentLimitReached } from './body-tap.js'

function exchangeWithBody(...chunks: number[]): Exchange {
  async function* body(): AsyncGenerator<Uint8Array> {
    for (const size of chunks) yield new Uint8Array(size).fill(1)
  }
  return { body: body() } as unknown as Exchange
}

async function drain(tap: BodyTap): Promise<{ bytes: number; error: unknown }> {
  let bytes = 0
  try {
    for await (const chunk of tap) bytes += chunk.byteLength
  } catch (error) {
    return { bytes, error }
  }
  return { bytes, error: undefined }
}

describe('BodyTap', () => {
  it('[R-18] passes on the bytes up to max-append-size even when they arrive in one read with the bytes past it', async () => {
    const seen: number[] = []
    const tap = new BodyTap(exchangeWithBody(120), 60)
    tap.observe((chunk) => seen.push(chunk.byteLength))
    const { bytes, error } = await drain(tap)
    expect(bytes).toBe(60)
    expect(seen).toEqual([60])
    expect(error).toBeInstanceOf(ContentLimitReached)
    expect(tap.limitReached).toBe(true)
    expect(tap.bytes).toBe(60)
  })

  it('[R-18] stops at the limit the same way when the bytes come in separate reads', async () => {
    const tap = new BodyTap(exchangeWithBody(60, 60), 60)
    const { bytes, error } = await drain(tap)
    expect(bytes).toBe(60)
    expect(error).toBeInstanceOf(ContentLimitReached)
  })

  it('passes a body within the limit through untouched', async () => {
    const tap = new BodyTap(exchangeWithBody(30, 30), 60)
    expect(await drain(tap)).toEqual({ bytes: 60, error: undefined })
    expect(tap.limitReached).toBe(false)
  })
})
