import { describe, expect, it } from 'vitest'
import { randomHex } from './random-hex.js'

describe('randomHex', () => {
  it('gives 2 x bytes lowercase hex characters', () => {
    expect(randomHex(16)).toMatch(/^[0-9a-f]{32}$/)
    expect(randomHex(6)).toMatch(/^[0-9a-f]{12}$/)
  })

  it('never repeats across many pool refills', () => {
    const seen = new Set(Array.from({ length: 20_000 }, () => randomHex(16)))
    expect(seen.size).toBe(20_000)
  })

  it('draws every byte value about as often (no stale or reused pool bytes)', () => {
    const counts = new Array<number>(256).fill(0)
    for (let round = 0; round < 4000; round++) {
      const hex = randomHex(16)
      for (let at = 0; at < hex.length; at += 2) {
        const value = Number.parseInt(hex.slice(at, at + 2), 16)
        counts[value] = (counts[value] ?? 0) + 1
      }
    }
    // 64,000 bytes: 250 expected per value; a pool handed out unfilled would pile them on 0.
    for (const count of counts) expect(count).toBeGreaterThan(150)
    expect(Math.max(...counts)).toBeLessThan(350)
  })

  it('refuses sizes outside 1 to 4096', () => {
    expect(() => randomHex(0)).toThrow(RangeError)
    expect(() => randomHex(4097)).toThrow(RangeError)
    expect(() => randomHex(1.5)).toThrow(RangeError)
  })
})
