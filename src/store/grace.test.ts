import { describe, expect, it } from 'vitest'
import { LockLoss } from '../model/stop-reasons.js'
import { graceAfter } from './grace.js'

const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

describe('graceAfter', () => {
  it('aborts the grace period after the signal, with its reason', async () => {
    const controller = new AbortController()
    const grace = graceAfter(controller.signal, 20)
    const reason = new Error('let go')
    controller.abort(reason)
    expect(grace.signal.aborted).toBe(false)
    await pause(60)
    expect(grace.signal.aborted).toBe(true)
    expect(grace.signal.reason).toBe(reason)
  })

  it('aborts at once, without a grace period, when the lock was lost (another holder may write now)', () => {
    const controller = new AbortController()
    const grace = graceAfter(controller.signal, 60_000)
    const loss = new LockLoss('upload')
    controller.abort(loss)
    expect(grace.signal.reason).toBe(loss)
    expect(graceAfter(AbortSignal.abort(loss), 60_000).signal.aborted).toBe(true)
  })

  it('starts at once for a signal aborted already, and never aborts once disposed', async () => {
    const aborted = graceAfter(AbortSignal.abort(new Error('gone')), 10)
    const controller = new AbortController()
    const disposed = graceAfter(controller.signal, 10)
    disposed.dispose()
    controller.abort()
    await pause(40)
    expect(aborted.signal.aborted).toBe(true)
    expect(disposed.signal.aborted).toBe(false)
  })
})
