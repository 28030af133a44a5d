import { describe, expect, it } from 'vitest'
import { flagFailure, parseFlags, testEnv } from './command-line.test-support.js'
import { buildCommand } from './options.js'

// The flags of issue 13 (scale-out): which locker, and how to reach Redis.

const setEnv = testEnv()

describe('locker flags', () => {
  it('defaults to the memory locker, with the redis settings ready', () => {
    expect(parseFlags([])).toMatchObject({ locker: 'memory', redisKeyPrefix: 'resumable-gateway:', redisLockLease: 10_000 })
    expect(parseFlags([]).redisUrl).toBeUndefined()
  })

  it('lists each flag with its environment variable in --help', () => {
    const help = buildCommand('0.0.0-test').helpInformation()
    for (const flag of ['--locker', '--redis-url', '--redis-key-prefix', '--redis-lock-lease']) {
      expect(help).toContain(flag)
      expect(help).toContain(`RESUMABLE_GATEWAY_${flag.slice(2).toUpperCase().replace(/-/g, '_')}`)
    }
  })

  it('reads them from flags and from RESUMABLE_GATEWAY_*', () => {
    expect(parseFlags(['--locker', 'redis', '--redis-url', 'rediss://user:secret@cache.example:6380/2', '--redis-key-prefix', 'up:', '--redis-lock-lease', '4s'])).toMatchObject({
      locker: 'redis',
      redisUrl: 'rediss://user:secret@cache.example:6380/2',
      redisKeyPrefix: 'up:',
      redisLockLease: 4000,
    })
    setEnv('RESUMABLE_GATEWAY_LOCKER', 'file')
    setEnv('RESUMABLE_GATEWAY_REDIS_LOCK_LEASE', '2500ms')
    expect(parseFlags([])).toMatchObject({ locker: 'file', redisLockLease: 2500 })
  })

  it.each([
    [['--locker', 'etcd'], '--locker'],
    [['--redis-url', 'http://127.0.0.1:6379'], '--redis-url'],
    [['--redis-url', 'redis://127.0.0.1:6379/db'], '--redis-url'],
    [['--redis-key-prefix', 'has space'], '--redis-key-prefix'],
    [['--redis-lock-lease', '100ms'], '--redis-lock-lease'],
  ])('refuses %j with a message naming %s', (args, flag) => {
    const message = flagFailure(args)
    expect(message).toContain(flag)
    expect(message).toContain(args[1])
  })
})
