import { describe, expect, it } from 'vitest'
import { WaitQueue, type QueuePlace } from './wait-queue.js'

interface Entry {
  readonly name: string
  readonly requestRelease: boolean
}

function entry(name: string, requestRelease = true): Entry {
  return { name, requestRelease }
}

function drain(queue: WaitQueue<Entry>): string[] {
  const names: string[] = []
  for (let next = queue.shift(); next !== undefined; next = queue.shift()) names.push(next.name)
  return names
}

describe('WaitQueue', () => {
  it('gives entries back in the order they came', () => {
    const queue = new WaitQueue<Entry>()
    for (const name of ['a', 'b', 'c']) queue.push(entry(name))
    expect(queue.size).toBe(3)
    expect(drain(queue)).toEqual(['a', 'b', 'c'])
    expect(queue.size).toBe(0)
    expect(queue.shift()).toBeUndefined()
  })

  it('removes an entry from the front, the middle or the back, and keeps the others in order', () => {
    for (const gone of ['a', 'c', 'e']) {
      const queue = new WaitQueue<Entry>()
      const places = new Map(['a', 'b', 'c', 'd', 'e'].map((name) => [name, queue.push(entry(name))]))
      queue.remove(places.get(gone) as QueuePlace<Entry>)
      expect(queue.size).toBe(4)
      expect(drain(queue)).toEqual(['a', 'b', 'c', 'd', 'e'].filter((name) => name !== gone))
    }
  })

  it('treats removing an entry twice, or one already taken, as a no-op', () => {
    const queue = new WaitQueue<Entry>()
    const a = queue.push(entry('a'))
    const b = queue.push(entry('b'))
    queue.push(entry('c'))
    queue.remove(b)
    queue.remove(b)
    expect(queue.shift()?.name).toBe('a')
    queue.remove(a)
    expect(queue.size).toBe(1)
    expect(drain(queue)).toEqual(['c'])
  })

  it('counts the entries that want the holder asked, as they come and go', () => {
    const queue = new WaitQueue<Entry>()
    const asker = queue.push(entry('asker'))
    queue.push(entry('sweeper', false))
    queue.push(entry('other'))
    expect(queue.askers).toBe(2)
    queue.remove(asker)
    expect(queue.askers).toBe(1)
    queue.shift()
    expect(queue.askers).toBe(1)
    queue.shift()
    expect(queue.askers).toBe(0)
    expect(queue.size).toBe(0)
  })

  it('empties when 100,000 entries leave in any order', () => {
    const queue = new WaitQueue<Entry>()
    const places = Array.from({ length: 100_000 }, (_, i) => queue.push(entry(String(i), i % 3 === 0)))
    for (let i = 0; i < places.length; i += 2) queue.remove(places[i] as QueuePlace<Entry>)
    for (let i = places.length - 1; i > 0; i -= 2) queue.remove(places[i] as QueuePlace<Entry>)
    expect(queue.size).toBe(0)
    expect(queue.askers).toBe(0)
    expect(queue.shift()).toBeUndefined()
    // A queue emptied by removals takes new entries as a fresh one does.
    queue.push(entry('next'))
    expect(drain(queue)).toEqual(['next'])
  })
})
