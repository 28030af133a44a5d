import { getEventListeners } from 'node:events'
import { describe, expect, it } from 'vitest'
import { eitherSignal } from './either-signal.js'

describe('eitherSignal', () => {
  it('aborts with the reason of the first signal that aborts', () => {
    const first = new AbortController()
    const second = new AbortController()
    const either = eitherSignal(first.signal, second.signal)
    expect(either.signal.aborted).toBe(false)
    second.abort(new Error('second'))
    first.abort(new Error('first'))
    expect(either.signal.aborted).toBe(true)
    expect((either.signal.reason as Error).message).toBe('second')
  })

  it('is aborted at once when one signal is already', () => {
    const done = AbortSignal.abort(new Error('gone'))
    expect((eitherSignal(new AbortController().signal, done).signal.reason as Error).message).toBe('gone')
    expect((eitherSignal(done, new AbortController().signal).signal.reason as Error).message).toBe('gone')
  })

  it('leaves no listener behind after unlink or after an abort', () => {
    const first = new AbortController()
    const second = new AbortController()
    const unlinked = eitherSignal(first.signal, second.signal)
    unlinked.unlink()
    expect(getEventListeners(first.signal, 'abort')).toHaveLength(0)
    expect(getEventListeners(second.signal, 'abort')).toHaveLength(0)
    first.abort()
    expect(unlinked.signal.aborted).toBe(false)

    const third = new AbortController()
    const fourth = new AbortController()
    const aborted = eitherSignal(third.signal, fourth.signal)
    third.abort()
    expect(aborted.signal.aborted).toBe(true)
    expect(getEventListeners(fourth.signal, 'abort')).toHaveLength(0)
  })

  it('links any number of signals: the first to abort gives the reason, and unlink frees them all', () => {
    const sources = [new AbortController(), new AbortController(), new AbortController()]
    const any = eitherSignal(...sources.map((source) => source.signal))
    sources[2]!.abort(new Error('third'))
    sources[0]!.abort(new Error('first'))
    expect((any.signal.reason as Error).message).toBe('third')
    for (const source of sources) expect(getEventListeners(source.signal, 'abort')).toHaveLength(0)

    const more = [new AbortController(), new AbortController(), new AbortController()]
    const unlinked = eitherSignal(...more.map((source) => source.signal))
    unlinked.unlink()
    for (const source of more) expect(getEventListeners(source.signal, 'abort')).toHaveLength(0)
    expect((eitherSignal(more[0]!.signal, AbortSignal.abort(new Error('done')), more[1]!.signal).signal.reason as Error).message).toBe('done')
  })
})
