import { describe, expect, it } from 'vitest'
import { defaultMaxConnections, resolveConnectionLimits } from './connection-limits.js'
import { openFileLimit } from './open-file-limit.js'

const LIMITS = `Limit                     Soft Limit           Hard Limit           Units
Max cpu time              unlimited            unlimited            seconds
Max open files            1024                 1048576              files
Max locked memory         8388608              8388608              bytes
`

describe('openFileLimit', () => {
  it('reads the soft limit of open files from /proc/self/limits', () => {
    expect(openFileLimit(() => LIMITS)).toBe(1024)
    expect(openFileLimit(() => LIMITS.replace('1024  ', 'unlimited'))).toBe(Infinity)
  })

  it('is undefined when the limits cannot be read or do not say', () => {
    expect(
      openFileLimit(() => {
        throw new Error('ENOENT')
      }),
    ).toBeUndefined()
    expect(openFileLimit(() => 'Max processes 100 100 processes\n')).toBeUndefined()
  })

  it('reads this process on Linux', () => {
    if (process.platform !== 'linux') return
    expect(openFileLimit()).toBeGreaterThan(0)
  })
})

describe('defaultMaxConnections', () => {
  it('is half the descriptors left after a reserve of 32, from 16 to 10,000', () => {
    expect(defaultMaxConnections(256)).toBe(112)
    expect(defaultMaxConnections(1024)).toBe(496)
    expect(defaultMaxConnections(40)).toBe(16)
    expect(defaultMaxConnections(1_048_576)).toBe(10_000)
    expect(defaultMaxConnections(Infinity)).toBe(10_000)
    // Unknown: as for the usual 1024.
    expect(defaultMaxConnections(undefined)).toBe(496)
  })
})

describe('resolveConnectionLimits', () => {
  it('gives one address half the connections by default, none of a limit behind a proxy, and keeps given values', () => {
    expect(resolveConnectionLimits({ maxConnections: 112 })).toEqual({ maxConnections: 112, maxConnectionsPerIp: 56 })
    expect(resolveConnectionLimits({ maxConnections: 112, behindProxy: true })).toEqual({ maxConnections: 112, maxConnectionsPerIp: 0 })
    expect(resolveConnectionLimits({ maxConnections: 0 })).toEqual({ maxConnections: 0, maxConnectionsPerIp: 0 })
    expect(resolveConnectionLimits({ maxConnections: 100, maxConnectionsPerIp: 7 })).toEqual({ maxConnections: 100, maxConnectionsPerIp: 7 })
  })
})
