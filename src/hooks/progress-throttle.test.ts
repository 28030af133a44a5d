import { describe, expect, it } from 'vitest'
import { ProgressThrottle } from './progress-throttle.js'

describe('ProgressThrottle', () => {
  it('lets the first report through, then at most one per interval, and only when the offset moved', async () => {
    const throttle = new ProgressThrottle(40)
    expect(throttle.progress('a', 10)).toBe(true)
    expect(throttle.progress('a', 20)).toBe(false)
    await new Promise((resolve) => setTimeout(resolve, 45))
    expect(throttle.progress('a', 20)).toBe(true)
    await new Promise((resolve) => setTimeout(resolve, 45))
    expect(throttle.progress('a', 20)).toBe(false)
    expect(throttle.progress('b', 5)).toBe(true)
  })

  it('reports the end of a request unless its offset was already reported, and forgets the upload then', () => {
    const throttle = new ProgressThrottle(1000)
    expect(throttle.end('a', 10)).toBe(true)
    expect(throttle.progress('a', 10)).toBe(true)
    expect(throttle.end('a', 10)).toBe(false)
    expect(throttle.progress('a', 20)).toBe(true)
    expect(throttle.end('a', 30)).toBe(true)
    // A later request on the same upload starts afresh.
    expect(throttle.progress('a', 40)).toBe(true)
  })
})
