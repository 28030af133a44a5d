import { describe, expect, it } from 'vitest'
import { RecentIds } from './recent-ids.js'

describe('RecentIds', () => {
  it('remembers ids up to its capacity, forgetting the oldest first', () => {
    const ids = new RecentIds(3)
    for (const id of ['a', 'b', 'c', 'd']) ids.add(id)
    expect(['a', 'b', 'c', 'd'].map((id) => ids.has(id))).toEqual([false, true, true, true])
    expect(ids.size).toBe(3)
  })

  it('counts an id added again as the most recent', () => {
    const ids = new RecentIds(2)
    ids.add('a')
    ids.add('b')
    ids.add('a')
    ids.add('c')
    expect(ids.has('a')).toBe(true)
    expect(ids.has('b')).toBe(false)
  })

  it('refuses a capacity that is not a positive integer', () => {
    for (const capacity of [0, -1, 1.5, Number.NaN]) expect(() => new RecentIds(capacity)).toThrow(RangeError)
  })
})
