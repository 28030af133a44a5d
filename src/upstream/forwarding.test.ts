import { describe, expect, it } from 'vitest'
import { forwardingHeaders, withoutForwarding } from './forwarding.js'

describe('forwardingHeaders', () => {
  const origin = { remoteAddress: '::ffff:192.0.2.7', host: 'photos.example', scheme: 'https' as const }
  const incoming = { forwarded: 'for=198.51.100.1', 'x-forwarded-for': '198.51.100.1', 'x-forwarded-host': 'edge.example', 'x-forwarded-proto': 'https' }

  it('drops what the client sent (it could be forged) and describes this hop', () => {
    expect(forwardingHeaders(incoming, origin, false)).toEqual({
      forwarded: 'for=192.0.2.7;host=photos.example;proto=https',
      'x-forwarded-for': '192.0.2.7',
      'x-forwarded-host': 'photos.example',
      'x-forwarded-proto': 'https',
    })
  })

  it('keeps the chain of a trusted proxy in front (--behind-proxy) and appends this hop', () => {
    expect(forwardingHeaders(incoming, origin, true)).toEqual({
      forwarded: 'for=198.51.100.1, for=192.0.2.7;host=photos.example;proto=https',
      'x-forwarded-for': '198.51.100.1, 192.0.2.7',
      'x-forwarded-host': 'edge.example',
      'x-forwarded-proto': 'https',
    })
  })

  it('brackets and quotes IPv6 addresses and quotes a host with a port (RFC 7239 §6)', () => {
    const headers = forwardingHeaders({}, { remoteAddress: '2001:db8::1', host: 'localhost:1080', scheme: 'http' }, false)
    expect(headers.forwarded).toBe('for="[2001:db8::1]";host="localhost:1080";proto=http')
  })

  it('withoutForwarding removes exactly the forwarding fields', () => {
    expect(withoutForwarding({ ...incoming, authorization: 'x' })).toEqual({ authorization: 'x' })
  })
})
