import { setTimeout as sleep } from 'node:timers/promises'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { GuardedBody } from './guarded-body.js'

async function* chunks(...parts: string[]): AsyncGenerator<Uint8Array> {
  for (const part of parts) yield Buffer.from(part)
}

/** Yields `parts`, then waits forever: a client that keeps its connection open and sends nothing. */
async function* stallingAfter(...parts: string[]): AsyncGenerator<Uint8Array> {
  yield* chunks(...parts)
  await new Promise<never>(() => {})
}

/** Yields `parts`, then fails like a reset connection. */
async function* failingAfter(error: Error, ...parts: string[]): AsyncGenerator<Uint8Array> {
  yield* chunks(...parts)
  throw error
}

/** Reads a body to its end; resolves with the text it passed on. */
async function drain(body: AsyncIterable<Uint8Array>, onChunk?: (chunk: Uint8Array) => Promise<void> | void): Promise<string> {
  const received: Buffer[] = []
  for await (const chunk of body) {
    received.push(Buffer.from(chunk))
    await onChunk?.(chunk)
  }
  return Buffer.concat(received).toString('utf8')
}

const never = new AbortController().signal

describe('GuardedBody', () => {
  afterEach(() => {
    vi.useRealTimers()
  })

  it('passes every byte through and ends without a stop when the source ends', async () => {
    const body = new GuardedBody(chunks('hello ', 'wor', 'ld'), { signal: never, idleTimeoutMs: 0 })
    expect(await drain(body)).toBe('hello world')
    expect(body.bytes).toBe(11)
    expect(body.stop).toBeUndefined()
  })

  it('checks the lock before passing on each chunk and at the end; a check that aborts passes nothing more on', async () => {
    const checked: number[] = []
    const controller = new AbortController()
    const lost = new Error('the lease ran out')
    const body = new GuardedBody(chunks('ab', 'cd', 'ef'), {
      signal: controller.signal,
      idleTimeoutMs: 0,
      // The third check finds the lease run out, as after a pause of the process.
      checkLock: () => checked.push(checked.length) === 3 && controller.abort(lost),
    })
    expect(await drain(body)).toBe('abcd')
    expect(body.stop).toEqual({ kind: 'aborted', reason: lost })
    // Two chunks, the third that found the loss, and the end.
    expect(checked).toHaveLength(4)
    const whole = new GuardedBody(chunks('x'), { signal: never, idleTimeoutMs: 0, checkLock: () => checked.push(0) })
    expect(await drain(whole)).toBe('x')
    expect(checked).toHaveLength(6)
  })

  it('ends without a stop when the source holds exactly the limit', async () => {
    const body = new GuardedBody(chunks('abc', 'de'), { limit: 5, signal: never, idleTimeoutMs: 0 })
    expect(await drain(body)).toBe('abcde')
    expect(body.stop).toBeUndefined()
  })

  it('stops at the limit, passing on exactly the bytes up to it', async () => {
    const body = new GuardedBody(chunks('abc', 'defgh', 'ij'), { limit: 5, signal: never, idleTimeoutMs: 0 })
    expect(await drain(body)).toBe('abcde')
    expect(body.bytes).toBe(5)
    expect(body.stop).toEqual({ kind: 'limit' })
  })

  it('stops at a limit of 0 without passing on anything', async () => {
    const body = new GuardedBody(chunks('a'), { limit: 0, signal: never, idleTimeoutMs: 0 })
    expect(await drain(body)).toBe('')
    expect(body.stop).toEqual({ kind: 'limit' })
  })

  it('does not wait for the rest of an oversized body once the limit is reached', async () => {
    // A chunked body past Upload-Length: the answer must come at the limit, not after the body.
    const body = new GuardedBody(stallingAfter('abc', 'def'), { limit: 4, signal: never, idleTimeoutMs: 0 })
    expect(await drain(body)).toBe('abcd')
    expect(body.stop).toEqual({ kind: 'limit' })
  })

  it('stops at once when the signal aborts while the source is stalled, keeping what was passed on', async () => {
    const controller = new AbortController()
    const reason = new Error('release requested')
    const body = new GuardedBody(stallingAfter('abc'), { signal: controller.signal, idleTimeoutMs: 0 })
    const drained = drain(body, () => {
      // Aborted once the first chunk is through and the source has gone quiet.
      setImmediate(() => controller.abort(reason))
    })
    expect(await drained).toBe('abc')
    expect(body.stop).toEqual({ kind: 'aborted', reason })
  })

  it('passes nothing on when the signal is already aborted', async () => {
    const reason = new Error('shutting down')
    const body = new GuardedBody(chunks('abc'), { signal: AbortSignal.abort(reason), idleTimeoutMs: 0 })
    expect(await drain(body)).toBe('')
    expect(body.stop).toEqual({ kind: 'aborted', reason })
  })

  it('stops with idle when the source sends nothing for the idle timeout', async () => {
    const body = new GuardedBody(stallingAfter('abc'), { signal: never, idleTimeoutMs: 50 })
    expect(await drain(body)).toBe('abc')
    expect(body.stop).toEqual({ kind: 'idle', idleMs: 50 })
  })

  it('counts only time spent waiting for the source toward the idle timeout, not time the consumer takes', async () => {
    // Each chunk arrives at once, but the consumer (a slow disk) spends 3x the idle timeout on each.
    const body = new GuardedBody(chunks('a', 'b', 'c'), { signal: never, idleTimeoutMs: 40 })
    expect(await drain(body, () => sleep(120))).toBe('abc')
    expect(body.stop).toBeUndefined()
  })

  it('restarts the idle clock with every chunk, so a slow but steady source is never idle', async () => {
    // Fake timers make the gaps exact: five gaps of 60 ms, 300 ms in all, three times the idle timeout.
    vi.useFakeTimers()
    async function* trickle(): AsyncGenerator<Uint8Array> {
      for (const part of ['a', 'b', 'c', 'd', 'e']) {
        await new Promise((resolve) => setTimeout(resolve, 60))
        yield Buffer.from(part)
      }
    }
    const body = new GuardedBody(trickle(), { signal: never, idleTimeoutMs: 100 })
    const drained = drain(body)
    await vi.advanceTimersByTimeAsync(1000)
    expect(await drained).toBe('abcde')
    expect(body.stop).toBeUndefined()
  })

  it('stops with idle after a gap of the idle timeout even when earlier chunks were steady', async () => {
    vi.useFakeTimers()
    async function* steadyThenQuiet(): AsyncGenerator<Uint8Array> {
      for (const part of ['a', 'b']) {
        await new Promise((resolve) => setTimeout(resolve, 60))
        yield Buffer.from(part)
      }
      await new Promise(() => {})
    }
    const body = new GuardedBody(steadyThenQuiet(), { signal: never, idleTimeoutMs: 100 })
    const drained = drain(body)
    await vi.advanceTimersByTimeAsync(1000)
    expect(await drained).toBe('ab')
    expect(body.stop).toEqual({ kind: 'idle', idleMs: 100 })
  })

  it('ends with failed, keeping what came before, when the source throws', async () => {
    const reset = new Error('ECONNRESET')
    const body = new GuardedBody(failingAfter(reset, 'ab', 'cd'), { signal: never, idleTimeoutMs: 0 })
    expect(await drain(body)).toBe('abcd')
    expect(body.bytes).toBe(4)
    expect(body.stop).toEqual({ kind: 'failed', error: reset })
  })

  it('never throws, whatever stops it', async () => {
    const controller = new AbortController()
    const bodies = [
      new GuardedBody(failingAfter(new Error('boom')), { signal: never, idleTimeoutMs: 0 }),
      new GuardedBody(stallingAfter('x'), { signal: controller.signal, idleTimeoutMs: 0 }),
      new GuardedBody(stallingAfter(), { signal: never, idleTimeoutMs: 10 }),
      new GuardedBody(chunks('toolong'), { limit: 2, signal: never, idleTimeoutMs: 0 }),
    ]
    setTimeout(() => controller.abort(new Error('gone')), 10)
    const results = await Promise.allSettled(bodies.map((body) => drain(body)))
    expect(results.map((result) => result.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled', 'fulfilled'])
    expect(bodies.map((body) => body.stop?.kind)).toEqual(['failed', 'aborted', 'idle', 'limit'])
  })

  it('[R-18] passes on the bytes up to the append limit even when they arrive in one read with the bytes past it, and shows them to its observer', async () => {
    const seen: number[] = []
    const body = new GuardedBody(chunks('x'.repeat(120)), { appendLimit: 60, signal: never, idleTimeoutMs: 0, observe: (chunk) => seen.push(chunk.byteLength) })
    expect(await drain(body)).toBe('x'.repeat(60))
    expect(seen).toEqual([60])
    expect(body.stop).toEqual({ kind: 'append-limit', limit: 60 })
    expect(body.bytes).toBe(60)
  })

  it('[R-18] stops at the append limit the same way when the bytes come in separate reads', async () => {
    const body = new GuardedBody(chunks('x'.repeat(60), 'y'.repeat(60)), { appendLimit: 60, signal: never, idleTimeoutMs: 0 })
    expect(await drain(body)).toBe('x'.repeat(60))
    expect(body.stop).toEqual({ kind: 'append-limit', limit: 60 })
  })

  it('stops at the lower of the two limits, the append limit winning a tie', async () => {
    const room = new GuardedBody(chunks('abcdef'), { limit: 3, appendLimit: 4, signal: never, idleTimeoutMs: 0 })
    expect(await drain(room)).toBe('abc')
    expect(room.stop).toEqual({ kind: 'limit' })
    const tie = new GuardedBody(chunks('abcdef'), { limit: 4, appendLimit: 4, signal: never, idleTimeoutMs: 0 })
    expect(await drain(tie)).toBe('abcd')
    expect(tie.stop).toEqual({ kind: 'append-limit', limit: 4 })
  })

  it('passes a body within the limits through untouched', async () => {
    const body = new GuardedBody(chunks('x'.repeat(30), 'x'.repeat(30)), { appendLimit: 60, signal: never, idleTimeoutMs: 0 })
    expect(await drain(body)).toHaveLength(60)
    expect(body.stop).toBeUndefined()
  })

  it('reports a body its reader let go of before the end as stopped, never as whole (a store that saw the abort first)', async () => {
    const controller = new AbortController()
    const body = new GuardedBody(chunks('abc', 'def', 'ghi'), { signal: controller.signal, idleTimeoutMs: 0 })
    const iterator = body[Symbol.asyncIterator]()
    expect((await iterator.next()).value).toEqual(Buffer.from('abc'))
    controller.abort(new Error('released'))
    await iterator.return?.()
    expect(body.stop).toMatchObject({ kind: 'aborted' })
    const abandoned = new GuardedBody(chunks('abc', 'def'), { signal: never, idleTimeoutMs: 0 })
    const reader = abandoned[Symbol.asyncIterator]()
    await reader.next()
    await reader.return?.()
    expect(abandoned.stop).toMatchObject({ kind: 'failed' })
  })

  it('reports a body never read because the signal had aborted (a lock asked to release at its grant) as aborted', () => {
    const request = new AbortController()
    request.abort(new Error('asked to release'))
    const body = new GuardedBody(chunks('never read'), { signal: request.signal, idleTimeoutMs: 0 })
    expect(body.stop).toEqual({ kind: 'aborted', reason: request.signal.reason })
  })

  it('says nothing when the source ended, even if the signal aborted afterwards', async () => {
    const request = new AbortController()
    const body = new GuardedBody(chunks('all'), { signal: request.signal, idleTimeoutMs: 0 })
    expect(await drain(body)).toBe('all')
    request.abort(new Error('too late'))
    expect(body.stop).toBeUndefined()
  })
})
