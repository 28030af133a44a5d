import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { contentDisposition } from '../http/content-disposition.js'
import { parseMetadata, serializeMetadata } from './headers.js'
import { decodeMetadataValue, encodeMetadataValue } from './metadata-value.js'

describe('metadata values', () => {
  it('[T-33] gives back any bytes exactly, UTF-8 text or not', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        expect(encodeMetadataValue(decodeMetadataValue(bytes))).toEqual(Buffer.from(bytes))
      }),
      { numRuns: 1000 },
    )
  })

  it('keeps UTF-8 text as the text it is, a byte-order mark included', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), (text) => {
        expect(decodeMetadataValue(Buffer.from(text, 'utf8'))).toBe(text)
      }),
    )
    expect(decodeMetadataValue(Buffer.from('\ufeffa', 'utf8'))).toBe('\ufeffa')
    expect(decodeMetadataValue(Buffer.from('héllo ☃ 😀', 'utf8'))).toBe('héllo ☃ 😀')
  })

  it('keeps each byte of a broken sequence on its own, and the text around it', () => {
    // A lone continuation byte, a truncated sequence, an overlong form, an encoded surrogate, past U+10FFFF.
    for (const hex of ['61ff62', '80', 'e298', 'c0af', 'eda080', 'f4908080', 'ffe298836162']) {
      const bytes = Buffer.from(hex, 'hex')
      expect(encodeMetadataValue(decodeMetadataValue(bytes)).toString('hex'), hex).toBe(hex)
    }
    expect(decodeMetadataValue(Buffer.from('61ff62', 'hex'))).toBe('a\udcffb')
  })

  it('[T-33] echoes an Upload-Metadata value of arbitrary bytes as it was sent', () => {
    const header = 'bin //79/A==,text aMOpbGxvIOKYgw==,flag'
    expect(serializeMetadata(parseMetadata(header))).toBe(header)
  })

  it('[T-32] serves a filename that is not UTF-8 without failing, as U+FFFD in filename*', () => {
    const { filename } = parseMetadata(`filename ${Buffer.from([0x61, 0xff]).toString('base64')}`)
    expect(contentDisposition('text/plain', filename)).toBe(`inline; filename="a_"; filename*=UTF-8''a%EF%BF%BD`)
  })
})
