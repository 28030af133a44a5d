import { createHash } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { HeaderError } from '../header-error.js'
import { ContentDigestCheck, DigestComputer, parseDigests, parseWantedDigests, serializeDigests } from './digests.js'
import { DraftRefusal } from './refusal.js'

const sha256 = (text: string) => createHash('sha256').update(text).digest('base64')

describe('digest fields (RFC 9530)', () => {
  it('reads the algorithms it computes and ignores the others', () => {
    expect(parseDigests('Content-Digest', `sha-256=:${sha256('a')}:, md5=:AAAA:`)).toEqual({ 'sha-256': sha256('a') })
  })

  it('refuses a field that is not a dictionary of byte sequences', () => {
    expect(() => parseDigests('Content-Digest', 'sha-256=abc')).toThrow(HeaderError)
    expect(() => parseDigests('Content-Digest', '((')).toThrow(/Content-Digest/)
  })

  it('round-trips through serialization', () => {
    const digests = { 'sha-256': sha256('x') }
    expect(parseDigests('Repr-Digest', serializeDigests(digests))).toEqual(digests)
  })

  it('orders wanted algorithms by preference and drops 0 and unknown ones', () => {
    expect(parseWantedDigests('Want-Repr-Digest', 'sha-256=1, sha-512=9, md5=10')).toEqual(['sha-512', 'sha-256'])
    expect(parseWantedDigests('Want-Repr-Digest', 'sha-256=0')).toEqual([])
    expect(() => parseWantedDigests('Want-Repr-Digest', 'sha-256=11')).toThrow(HeaderError)
  })
})

describe('ContentDigestCheck', () => {
  it('passes content that matches, in any chunking', () => {
    const check = new ContentDigestCheck({ 'sha-256': sha256('hello') })
    check.update(Buffer.from('he'))
    check.update(Buffer.from('llo'))
    expect(() => check.verify()).not.toThrow()
  })

  it('[R-78] refuses content that does not match', () => {
    const check = new ContentDigestCheck({ 'sha-256': sha256('hello') })
    check.update(Buffer.from('hellO'))
    expect(() => check.verify()).toThrow(DraftRefusal)
  })
})

describe('DigestComputer', () => {
  it('computes each algorithm once, whatever the repeats', () => {
    const computer = new DigestComputer(['sha-256', 'sha-256'])
    computer.update(Buffer.from('abc'))
    expect(computer.digests()).toEqual({ 'sha-256': sha256('abc') })
  })
})
