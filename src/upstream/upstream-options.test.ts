import { describe, expect, it } from 'vitest'
import { GatewayPath, OutsidePrefix, upstreamUrl } from './upstream-options.js'

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

  it.each([
    ['/x/../metrics', '/metrics'],
    ['/x/%2e%2e/metrics?q=1', '/metrics'],
    ['/%6Detrics', '/metrics'],
    ['/x/..\\metrics', '/metrics'],
    ['/x/../files/abc', '/files/abc'],
    // Many servers and proxies take repeated slashes for one.
    ['//metrics', '/metrics'],
    ['/x/..//files//abc', '/files/abc'],
  ])('throws GatewayPath for %s, which resolves (under the prefix) to the gateway\'s %s', (uri, path) => {
    const seen: string[] = []
    const gatewayPath = (resolved: string): boolean => {
      seen.push(resolved)
      return resolved === '/metrics' || resolved.startsWith('/files/')
    }
    expect(() => upstreamUrl(base, uri, gatewayPath)).toThrow(GatewayPath)
    expect(seen).toEqual([path])
  })

  it('asks about the path under the prefix, with percent-encoded unreserved characters decoded and others kept', () => {
    const seen: string[] = []
    upstreamUrl(base, '/a%2Fb/%7Euser/%41', (path) => seen.push(path) < 0)
    upstreamUrl(base, '', (path) => seen.push(path) < 0)
    expect(seen).toEqual(['/a%2Fb/~user/A', '/'])
  })
})
