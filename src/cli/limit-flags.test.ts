import { describe, expect, it } from 'vitest'
import { contradictoryLimits } from './limit-flags.js'

const NONE = { maxSize: 0, minSize: 0, maxAppendSize: 0, minAppendSize: 0 }

describe('contradictoryLimits', () => {
  it('accepts no limits, and limits that leave room for a resumable upload', () => {
    expect(contradictoryLimits(NONE)).toBeUndefined()
    expect(contradictoryLimits({ maxSize: 100, minSize: 100, maxAppendSize: 10, minAppendSize: 10 })).toBeUndefined()
    // 0 means "no limit": a minimum is never above a maximum that is not there.
    expect(contradictoryLimits({ ...NONE, minSize: 100, minAppendSize: 50 })).toBeUndefined()
    // Appends above the whole upload's maximum only make the larger one redundant.
    expect(contradictoryLimits({ ...NONE, maxSize: 10, maxAppendSize: 50 })).toBeUndefined()
  })

  it.each([
    [{ ...NONE, minSize: 100, maxSize: 50 }, '--min-size', '--max-size'],
    [{ ...NONE, minAppendSize: 10, maxAppendSize: 5 }, '--min-append-size', '--max-append-size'],
    [{ ...NONE, minAppendSize: 60, maxSize: 50 }, '--min-append-size', '--max-size'],
  ])('refuses %j, naming %s and %s', (limits, lower, upper) => {
    const message = contradictoryLimits(limits)
    expect(message).toContain(lower)
    expect(message).toContain(upper)
  })
})
