import { randomBytes } from 'node:crypto'
import { CRC32C } from '@google-cloud/storage'
import { describe, expect, it } from 'vitest'
import { combineCrc32c, parseCrc32c } from './crc32c.js'

/** The SDK's CRC32C of some bytes, as GCS reports it: the reference these tests check against. */
function crc32c(data: Uint8Array): number {
  const crc = new CRC32C()
  crc.update(Buffer.from(data))
  return parseCrc32c(crc.toString())
}

describe('CRC32C', () => {
  it('parses GCS\'s base64 field: "123456789" is 0xe3069283', () => {
    expect(parseCrc32c('4waSgw==')).toBe(0xe3069283)
    expect(() => parseCrc32c('AAA=')).toThrow(RangeError)
  })

  it('combines the CRC32C of two pieces into the CRC32C of both, for lengths from 0 to 100 KiB', () => {
    for (const [lengthA, lengthB] of [[0, 0], [0, 1], [1, 0], [9, 9], [1, 7], [1000, 1], [3, 65_536], [12_345, 102_400]] as const) {
      const a = randomBytes(lengthA)
      const b = randomBytes(lengthB)
      expect(combineCrc32c(crc32c(a), crc32c(b), b.length), `${lengthA} + ${lengthB}`).toBe(crc32c(Buffer.concat([a, b])))
    }
  })

  it('combines many pieces in a row, as a compose of 32 sources does', () => {
    const pieces = Array.from({ length: 32 }, (_, i) => randomBytes(1 + i * 97))
    const combined = pieces.slice(1).reduce((crc, piece) => combineCrc32c(crc, crc32c(piece), piece.length), crc32c(pieces[0] as Buffer))
    expect(combined).toBe(crc32c(Buffer.concat(pieces)))
  })

  it('takes lengths past 2^32 (objects of up to 5 TiB): shifting by 2^32 twice is shifting by 2^33 once', () => {
    // With crcB = 0, combine only moves crcA past n bytes, a linear map: 2^32 twice must equal 2^33 once.
    const start = crc32c(Buffer.from('abc'))
    const twice = combineCrc32c(combineCrc32c(start, 0, 2 ** 32), 0, 2 ** 32)
    expect(combineCrc32c(start, 0, 2 ** 33)).toBe(twice)
    expect(combineCrc32c(start, 0, 2 ** 33)).not.toBe(combineCrc32c(start, 0, 2 ** 32))
    expect(() => combineCrc32c(start, 0, -1)).toThrow(RangeError)
  })
})
