import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { CHECKSUM_ALGORITHMS, ChecksumCheck, digestBytes } from '../../core/body/checksum.js'
import type { Exchange } from '../../transport/exchange.js'
import { HeaderError } from '../header-error.js'
import { checksumChecks, parseUploadChecksum } from './checksum-header.js'

function headerError(parse: () => unknown): HeaderError {
  try {
    parse()
  } catch (error) {
    if (error instanceof HeaderError) return error
    throw error
  }
  throw new Error('expected a HeaderError')
}

/** Just enough of an exchange for checksumChecks: headers and trailers. */
function exchangeWith(headers: Record<string, string>, trailers: Record<string, string> = {}): Exchange {
  return { headers, trailers: () => trailers } as unknown as Exchange
}

describe('parseUploadChecksum', () => {
  it('[T-46] reads "<algorithm> <base64 digest>", the specification example included', () => {
    const parsed = parseUploadChecksum('sha1 Kq5sNclPz7QV2+lfQIuc6R7oRu0=')
    expect(parsed.algorithm).toBe('sha1')
    expect(Buffer.from(parsed.digest).toString('base64')).toBe('Kq5sNclPz7QV2+lfQIuc6R7oRu0=')
    // Surrounding whitespace is not part of the value (RFC 9110 §5.5); missing padding is tolerated.
    expect(parseUploadChecksum('  crc32 DUoRhQ  ').algorithm).toBe('crc32')
  })

  it('[T-43] [T-44] refuses an algorithm it does not support, uppercase names included, naming what it supports', () => {
    for (const value of ['sha3 Kq5sNclPz7QV2+lfQIuc6R7oRu0=', 'SHA1 Kq5sNclPz7QV2+lfQIuc6R7oRu0=', 'crc32c DUoRhQ==']) {
      const error = headerError(() => parseUploadChecksum(value))
      expect(error.header).toBe('Upload-Checksum')
      expect(error.message).toContain('not supported')
      expect(error.message).toContain('sha1')
    }
  })

  it('[T-46] refuses values that are not one algorithm, one space and a base64 digest of its size', () => {
    const bad = [
      '',
      'sha1',
      'sha1 ',
      'Kq5sNclPz7QV2+lfQIuc6R7oRu0=',
      'sha1  Kq5sNclPz7QV2+lfQIuc6R7oRu0=',
      'sha1 Kq5sNclPz7QV2+lfQIuc6R7oRu0= extra',
      'sha1\tKq5sNclPz7QV2+lfQIuc6R7oRu0=',
      'sha1 Kq5sNclPz7QV2-lfQIuc6R7oRu0=',
      'sha1 not*base64',
      'sha1 DUoRhQ==',
      'md5 Kq5sNclPz7QV2+lfQIuc6R7oRu0=',
    ]
    for (const value of bad) expect(headerError(() => parseUploadChecksum(value)).header, value).toBe('Upload-Checksum')
  })

  it('[T-46] reads back every well-formed value, and throws only HeaderError on anything else', () => {
    fc.assert(
      fc.property(fc.constantFrom(...CHECKSUM_ALGORITHMS), fc.uint8Array({ minLength: 64, maxLength: 64 }), (algorithm, bytes) => {
        const digest = Buffer.from(bytes.subarray(0, digestBytes(algorithm)))
        const parsed = parseUploadChecksum(`${algorithm} ${digest.toString('base64')}`)
        expect(parsed.algorithm).toBe(algorithm)
        expect(Buffer.from(parsed.digest).equals(digest)).toBe(true)
      }),
    )
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom('sha1', 'md5', ' ', '=', 'A', '+', '/', '-', 'é', '\t', 'Kq5s') }), (value) => {
        try {
          parseUploadChecksum(value)
        } catch (error) {
          expect(error).toBeInstanceOf(HeaderError)
        }
      }),
    )
  })
})

describe('checksumChecks', () => {
  it('asks for no check without a checksum when the store cannot discard a body', () => {
    expect(checksumChecks(exchangeWith({}), false)).toEqual([])
  })

  it('[T-43] refuses an Upload-Checksum trailer that was not announced, and keeps an unchecked body that stops early', () => {
    const trailers: Record<string, string> = {}
    const [check] = checksumChecks(exchangeWith({}, trailers), true)
    if (check === undefined) throw new Error('no check')
    expect(check.allOrNothing).toBe(false)
    check.update(Buffer.from('hello world'))
    expect(() => check.verify()).not.toThrow()
    trailers['upload-checksum'] = 'sha1 Kq5sNclPz7QV2+lfQIuc6R7oRu0='
    expect(() => check.verify()).toThrow(/not announced/)
  })

  it('[T-43] checks against the Upload-Checksum header, which is read before the body', () => {
    const checks = checksumChecks(exchangeWith({ 'upload-checksum': 'sha1 Kq5sNclPz7QV2+lfQIuc6R7oRu0=' }), true)
    expect(checks).toHaveLength(1)
    expect(checks[0]).toBeInstanceOf(ChecksumCheck)
    expect(() => checksumChecks(exchangeWith({ 'upload-checksum': 'sha3 x' }), true)).toThrow(HeaderError)
  })

  it('[T-47] checks against a trailer announced with Trailer: Upload-Checksum, read after the body', async () => {
    const trailers: Record<string, string> = {}
    const [check] = checksumChecks(exchangeWith({ trailer: 'X-Other, Upload-Checksum' }, trailers), true)
    if (check === undefined) throw new Error('no check')
    check.update(Buffer.from('hello world'))
    trailers['upload-checksum'] = 'md5 XrY7u+Ae7tCTyyK7j1rNww=='
    await expect(Promise.resolve().then(() => check.verify())).resolves.toBeUndefined()
  })

  it('[T-47] discards the body when the announced trailer does not arrive', () => {
    const [check] = checksumChecks(exchangeWith({ trailer: 'upload-checksum' }), true)
    check?.update(Buffer.from('hello world'))
    expect(() => check?.verify()).toThrow(/did not arrive/)
  })

  it('refuses a checksum sent both as a header and announced as a trailer', () => {
    const headers = { 'upload-checksum': 'sha1 Kq5sNclPz7QV2+lfQIuc6R7oRu0=', trailer: 'Upload-Checksum' }
    expect(() => checksumChecks(exchangeWith(headers), true)).toThrow(HeaderError)
  })
})
