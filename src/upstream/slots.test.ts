import { describe, expect, it } from 'vitest'
import { Slots } from './slots.js'

const never = new AbortController().signal

describe('Slots', () => {
  it('gives out its slots at once, then makes the next wait for a release, in arrival order', async () => {
    const slots = new Slots(1)
    expect(await slots.take(1000, never)).toBe(true)
    const order: string[] = []
    const first = slots.take(1000, never).then((taken) => order.push(`first ${taken}`))
    const second = slots.take(1000, never).then((taken) => order.push(`second ${taken}`))
    slots.release()
    await first
    slots.release()
    await second
    expect(order).toEqual(['first true', 'second true'])
    expect(slots.used).toBe(1)
  })

  it('gives up after the wait (false), and rejects with the reason when the signal aborts', async () => {
    const slots = new Slots(1)
    await slots.take(1000, never)
    expect(await slots.take(20, never)).toBe(false)
    const controller = new AbortController()
    const waiting = slots.take(1000, controller.signal)
    controller.abort(new Error('shutting down'))
    await expect(waiting).rejects.toThrow('shutting down')
    // Neither left a claim behind: the one slot is still the first taker's.
    slots.release()
    expect(await slots.take(0, never)).toBe(true)
  })
})
