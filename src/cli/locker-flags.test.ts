import { CommanderError } from 'commander'
import { afterEach, describe, expect, it } from 'vitest'
import { buildCommand, type CliOptions } from './options.js'

// The flags of issue 13 (scale-out): which locker, and how to reach Redis.

function parse(args: string[]): CliOptions {
  const command = buildCommand('0.0.0-test').exitOverride()
  command.parse(args, { from: 'user' })
  return command.opts<CliOptions>()
}

function failure(args: string[]): string {
  let errors = ''
  const command = buildCommand('0.0.0-test')
    .exitOverride()
    .configureOutput({ writeErr: (text) => (errors += text), writeOut: () => {} })
  expect(() => command.parse(args, { from: 'user' })).toThrow(CommanderError)
  return errors
}

const touched: string[] = []
function setEnv(name: string, value: string): void {
  touched.push(name)
  process.env[name] = value
}

describe('locker flags', () => {
  afterEach(() => {
    for (const name of touched.splice(0)) delete process.env[name]
  })

  it('defaults to the memory locker, with the redis settings ready', () => {
    expect(parse([])).toMatchObject({ locker: 'memory', redisKeyPrefix: 'resumable-gateway:', redisLockLease: 10_000 })
    expect(parse([]).redisUrl).toBeUndefined()
  })

  it('lists each flag with its environment variable in --help', () => {
    const help = buildCommand('0.0.0-test').helpInformation()
    for (const flag of ['--locker', '--redis-url', '--redis-key-prefix', '--redis-lock-lease']) {
      expect(help).toContain(flag)
      expect(help).toContain(`RESUMABLE_GATEWAY_${flag.slice(2).toUpperCase().replace(/-/g, '_')}`)
    }
  })

  it('reads them from flags and from RESUMABLE_GATEWAY_*', () => {
    expect(parse(['--locker', 'redis', '--redis-url', 'rediss://user:secret@cache.example:6380/2', '--redis-key-prefix', 'up:', '--redis-lock-lease', '4s'])).toMatchObject({
      locker: 'redis',
      redisUrl: 'rediss://user:secret@cache.example:6380/2',
      redisKeyPrefix: 'up:',
      redisLockLease: 4000,
    })
    setEnv('RESUMABLE_GATEWAY_LOCKER', 'file')
    setEnv('RESUMABLE_GATEWAY_REDIS_LOCK_LEASE', '2500ms')
    expect(parse([])).toMatchObject({ locker: 'file', redisLockLease: 2500 })
  })

  it.each([
    [['--locker', 'etcd'], '--locker'],
    [['--redis-url', 'http://127.0.0.1:6379'], '--redis-url'],
    [['--redis-url', 'redis://127.0.0.1:6379/db'], '--redis-url'],
    [['--redis-key-prefix', 'has space'], '--redis-key-prefix'],
    [['--redis-lock-lease', '100ms'], '--redis-lock-lease'],
  ])('refuses %j with a message naming %s', (args, flag) => {
    const message = failure(args)
    expect(message).toContain(flag)
    expect(message).toContain(args[1])
  })
})
