import { describe, expect, it } from 'vitest'
import { Lease } from './lease.js'

/** Blocks the event loop for `ms`, as a paused or stalled process: no timer runs meanwhile. */
function blockFor(ms: number): void {
  const until = performance.now() + ms
  while (performance.now() < until) {
    // busy: the process does not run its event loop
  }
}

describe('Lease', () => {
  it('is lost by check() at once once its deadline passed while no timer could run', () => {
    const lost: Error[] = []
    const lease = new Lease(100, performance.now(), () => Promise.resolve(true), (cause) => lost.push(cause))
    lease.check()
    expect(lost).toEqual([])
    // 4/5 of the lease is the deadline; the loss timer has not had its turn.
    blockFor(90)
    lease.check()
    expect(lost.map((cause) => cause.message)).toEqual(['the lease ran out while the process did not run (paused or stalled)'])
    lease.check()
    expect(lost).toHaveLength(1)
    lease.stop()
  })

  it('is kept by check() while renewals keep its deadline ahead', async () => {
    const lost: Error[] = []
    const lease = new Lease(150, performance.now(), () => Promise.resolve(true), (cause) => lost.push(cause))
    await new Promise((resolve) => setTimeout(resolve, 400))
    lease.check()
    expect(lost).toEqual([])
    lease.stop()
  })
})
