import { createHash } from 'node:crypto'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { CHECKSUM_ALGORITHMS, ChecksumCheck, createDigest, digestBytes, isChecksumAlgorithm } from './checksum.js'
import { ChecksumMismatch } from '../../model/errors.js'

const HELLO = Buffer.from('hello world')
// Digests of "hello world", computed by other tools (sha1 is the tus specification's own example).
const HELLO_DIGESTS = {
  sha1: 'Kq5sNclPz7QV2+lfQIuc6R7oRu0=',
  md5: 'XrY7u+Ae7tCTyyK7j1rNww==',
  sha256: 'uU0nuZNNPgilLlLX2n2r+sSE7+N6U4DukIj3rOLvzek=',
  sha512: 'MJ7MSJwS1utMxA9QyQLytNDtd+5RGnx6m808qG1M2G+YndNbxf9JlnDaNCVbRbDP2DDoH2Bdz33FVC6TrpzXbw==',
  // 0x0d4a1185, big-endian
  crc32: 'DUoRhQ==',
} as const

describe('checksum algorithms', () => {
  it('[T-44] supports sha1, and names every algorithm in lowercase ASCII', () => {
    expect(CHECKSUM_ALGORITHMS).toContain('sha1')
    for (const algorithm of CHECKSUM_ALGORITHMS) expect(algorithm).toMatch(/^[a-z0-9-]+$/)
    expect(isChecksumAlgorithm('sha1')).toBe(true)
    expect(isChecksumAlgorithm('SHA1')).toBe(false)
    expect(isChecksumAlgorithm('sha3')).toBe(false)
  })

  it.each(CHECKSUM_ALGORITHMS.map((algorithm) => [algorithm]))('computes %s of "hello world" as other tools do', (algorithm) => {
    const digest = createDigest(algorithm)
    digest.update(HELLO)
    const bytes = digest.digest()
    expect(bytes.toString('base64')).toBe(HELLO_DIGESTS[algorithm])
    expect(bytes.length).toBe(digestBytes(algorithm))
  })

  it('gives the same digest however the bytes are split into chunks', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...CHECKSUM_ALGORITHMS),
        fc.uint8Array({ maxLength: 2000 }),
        fc.array(fc.nat({ max: 2000 }), { maxLength: 8 }),
        (algorithm, bytes, cuts) => {
          const whole = createDigest(algorithm)
          whole.update(bytes)
          const pieces = createDigest(algorithm)
          const points = [...new Set(cuts.map((cut) => Math.min(cut, bytes.length)))].sort((a, b) => a - b)
          let from = 0
          for (const point of [...points, bytes.length]) {
            pieces.update(bytes.subarray(from, point))
            from = point
          }
          expect(pieces.digest().equals(whole.digest())).toBe(true)
        },
      ),
    )
  })
})

describe('ChecksumCheck', () => {
  const sha1 = (text: string): Uint8Array => createHash('sha1').update(text).digest()

  it('passes when the bytes streamed match the checksum', () => {
    const check = ChecksumCheck.of({ algorithm: 'sha1', digest: sha1('hello world') })
    check.update(Buffer.from('hello '))
    check.update(Buffer.from('world'))
    expect(() => check.verify()).not.toThrow()
  })

  it('throws ChecksumMismatch naming both digests when they differ', () => {
    const check = ChecksumCheck.of({ algorithm: 'sha1', digest: sha1('hello world') })
    check.update(Buffer.from('hello worlx'))
    let thrown: unknown
    try {
      check.verify()
    } catch (error) {
      thrown = error
    }
    expect(thrown).toBeInstanceOf(ChecksumMismatch)
    expect(thrown).toMatchObject({ algorithm: 'sha1', expected: HELLO_DIGESTS.sha1, actual: createHash('sha1').update('hello worlx').digest('base64') })
  })

  it('checks a checksum known only after the body against the algorithm it names', () => {
    for (const algorithm of CHECKSUM_ALGORITHMS) {
      let asked = 0
      const check = new ChecksumCheck(CHECKSUM_ALGORITHMS, () => {
        asked++
        return { algorithm, digest: Buffer.from(HELLO_DIGESTS[algorithm], 'base64') }
      })
      check.update(HELLO)
      expect(asked).toBe(0)
      expect(() => check.verify()).not.toThrow()
      expect(asked).toBe(1)
    }
  })

  it('passes on what the expected checksum throws (a trailer that did not arrive)', () => {
    const missing = new Error('no trailer')
    const check = new ChecksumCheck(CHECKSUM_ALGORITHMS, () => {
      throw missing
    })
    check.update(HELLO)
    expect(() => check.verify()).toThrow(missing)
  })
})
