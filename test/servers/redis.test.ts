import { once } from 'node:events'
import { setTimeout as sleep } from 'node:timers/promises'
import { Redis } from 'ioredis'
import { afterEach, describe, expect, it } from 'vitest'
import { describeWithServer } from './availability.js'
import { redis, type RedisServer } from './redis.js'

// What the Redis locker needs (SET NX PX, pub/sub) and what its tests do to the server (restart, pause),
// against a real redis-server started by the harness, through ioredis.

describeWithServer('redis-server through ioredis', redis, (server) => {
  const clients: Redis[] = []
  const connect = (target: RedisServer = server()): Redis => {
    const client = new Redis(target.url, { retryStrategy: () => 50 })
    clients.push(client)
    return client
  }
  afterEach(() => {
    for (const client of clients.splice(0)) client.disconnect()
  })

  it('grants SET NX PX to the first caller only, with an expiry', async () => {
    const client = connect()
    expect(await client.set('lock:a', 'token-1', 'PX', 60_000, 'NX')).toBe('OK')
    expect(await client.set('lock:a', 'token-2', 'PX', 60_000, 'NX')).toBeNull()
    expect(await client.get('lock:a')).toBe('token-1')
    expect(await client.pttl('lock:a')).toBeGreaterThan(0)
  })

  it('delivers a published message to a subscriber', async () => {
    const subscriber = connect()
    await subscriber.subscribe('release:a')
    const message = once(subscriber, 'message')
    expect(await connect().publish('release:a', 'please')).toBe(1)
    expect(await message).toEqual(['release:a', 'please'])
  })

  it('restarts on the same port, empty, and a client reconnects by itself', async () => {
    const client = connect()
    await client.set('before-restart', '1')
    const { port } = server()
    const pid = server().pid()
    await server().restart()
    expect(server().port).toBe(port)
    expect(server().pid()).not.toBe(pid)
    // ioredis queues the command until it has reconnected.
    expect(await client.get('before-restart')).toBeNull()
    expect(await client.set('after-restart', '1')).toBe('OK')
  })

  it('answers nothing while paused and everything once resumed', async () => {
    const client = connect()
    await client.ping()
    server().pause()
    let answered = false
    const pong = client.ping().then((reply) => {
      answered = true
      return reply
    })
    try {
      await sleep(300)
      expect(answered).toBe(false)
    } finally {
      server().resume()
    }
    expect(await pong).toBe('PONG')
  })
})

describe('redis-server availability', () => {
  it('says how to install redis-server when it is missing', () => {
    const saved = process.env.PATH
    process.env.PATH = '/nonexistent'
    try {
      expect(redis.unavailable()).toBe('redis-server not installed (apt-get install -y redis-server)')
    } finally {
      process.env.PATH = saved
    }
  })
})
