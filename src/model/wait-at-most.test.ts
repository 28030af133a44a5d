import { describe, expect, it } from 'vitest'
import { waitAtMost } from './wait-at-most.js'

describe('waitAtMost', () => {
  it('ends when the promise settles, before the bound', async () => {
    const started = performance.now()
    await waitAtMost(new Promise((resolve) => setTimeout(resolve, 10)), 5_000)
    expect(performance.now() - started).toBeLessThan(4_000)
  })

  it('ends at the bound when the promise does not settle, and never rejects', async () => {
    const started = performance.now()
    await waitAtMost(new Promise(() => {}), 30)
    expect(performance.now() - started).toBeGreaterThanOrEqual(25)
    await expect(waitAtMost(Promise.reject(new Error('no')), 5_000)).resolves.toBeUndefined()
  })

  it('does not wait at all for a bound of 0 or less', async () => {
    const started = performance.now()
    await waitAtMost(new Promise(() => {}), -10)
    expect(performance.now() - started).toBeLessThan(1_000)
  })
})
