import { describe, expect, it } from 'vitest'
import { OutsidePrefix, upstreamUrl } from './upstream-options.js'

describe('upstreamUrl', () => {
  const base = new URL('http://127.0.0.1:3000/app/')

  it('puts the prefix before the path and keeps the query', () => {
    expect(upstreamUrl(base, '/photos?album=7&x=%2F').href).toBe('http://127.0.0.1:3000/app/photos?album=7&x=%2F')
    expect(upstreamUrl(base, '/').href).toBe('http://127.0.0.1:3000/app/')
    expect(upstreamUrl(base, '/a/../b').href).toBe('http://127.0.0.1:3000/app/b')
  })

  it.each(['/../admin', '/%2e%2e/admin', '/.%2E/admin?q=1', '/a/../../admin', '/..', '/..\\\\admin', '/../app2/x'])(
    'throws OutsidePrefix for %s, whose dot segments resolve outside the prefix',
    (uri) => {
      expect(() => upstreamUrl(base, uri)).toThrow(OutsidePrefix)
    },
  )

  it('lets dot segments resolve freely without a prefix: nothing lies outside the root', () => {
    expect(upstreamUrl(new URL('http://127.0.0.1:3000'), '/%2e%2e/admin').href).toBe('http://127.0.0.1:3000/admin')
  })
})
