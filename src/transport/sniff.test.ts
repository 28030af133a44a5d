import { describe, expect, it } from 'vitest'
import { sniff } from './sniff.js'

const bytes = (text: string): Buffer => Buffer.from(text, 'latin1')

describe('sniff', () => {
  it('recognises the HTTP/2 prior-knowledge preface', () => {
    expect(sniff(bytes('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'))).toBe('h2c')
  })
  it('tells HTTP/1.1 methods that start like the preface from it', () => {
    expect(sniff(bytes('POST /files/ HTTP/1.1\r\n'))).toBe('http1')
    expect(sniff(bytes('PATCH /x HTTP/1.1'))).toBe('http1')
    expect(sniff(bytes('PUT /'))).toBe('http1')
  })
  it('waits for more bytes while a short head still matches the preface', () => {
    expect(sniff(bytes(''))).toBe('need-more')
    expect(sniff(bytes('PR'))).toBe('need-more')
  })
  it('recognises a TLS handshake record', () => {
    expect(sniff(Buffer.from([0x16, 0x03, 0x01]))).toBe('tls')
  })
  it('treats anything else as HTTP/1.1 (node answers garbage with 400)', () => {
    expect(sniff(bytes('HEAD / HTTP/1.1'))).toBe('http1')
    expect(sniff(bytes('\u0000\u0001'))).toBe('http1')
  })
})
