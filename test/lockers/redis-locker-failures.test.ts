import { randomBytes } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import { Redis } from 'ioredis'
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest'
import { LockerUnavailable } from '../../src/model/errors.js'
import { LockLoss, StopRequested } from '../../src/model/stop-reasons.js'
import { RedisLocker, type RedisLockerOptions } from '../../src/lock/redis/redis-locker.js'
import { beforeWrite } from '../../src/model/write-checks.js'
import { describeWithServer } from '../servers/availability.js'
import { redis } from '../servers/redis.js'

// What the Redis locker does when Redis fails, against a real redis-server that the tests pause
// (SIGSTOP: connections stay, nothing answers), stop and restart (empty: no persistence).

describeWithServer('the Redis locker when Redis fails', redis, (server) => {
  let admin: Redis
  const lockers: RedisLocker[] = []
  beforeAll(() => {
    admin = new Redis(server().url, { retryStrategy: () => 50 })
    // It sees the restarts too; they are expected.
    admin.on('error', () => {})
  })
  afterAll(() => admin.disconnect())
  afterEach(async () => {
    server().resume()
    await Promise.all(lockers.splice(0).map((locker) => locker.close()))
  })

  const forever = (): AbortSignal => new AbortController().signal

  /** A locker on a fresh prefix whose Redis has served locks for long (no warm-up to wait out). */
  async function connect(prefix: string, options: Partial<RedisLockerOptions> = {}): Promise<RedisLocker> {
    await admin.set(`${prefix}started`, '0')
    const locker = await RedisLocker.connect({ url: server().url, keyPrefix: prefix, leaseMs: 1500, ...options })
    lockers.push(locker)
    return locker
  }
  const freshPrefix = (): string => `f-${randomBytes(4).toString('hex')}:`

  it('names its keys and channel as documented: a hash with token and fence that expires with the lease, a line while someone waits', async () => {
    const prefix = freshPrefix()
    const locker = await connect(prefix)
    const peer = await connect(prefix)
    const lock = await locker.acquire('doc', { signal: forever() })
    expect(await admin.hgetall(`${prefix}lock:doc`)).toEqual({ token: expect.stringMatching(/^[0-9a-f]{12}\.\w+$/), fence: String(lock.fence) })
    const ttl = await admin.pttl(`${prefix}lock:doc`)
    expect(ttl).toBeGreaterThan(0)
    expect(ttl).toBeLessThanOrEqual(1500)
    const waiter = peer.acquire('doc', { signal: forever(), requestRelease: false })
    await sleep(100)
    expect(await admin.zcard(`${prefix}line:doc`)).toBe(1)
    expect(await admin.pubsub('CHANNELS', `${prefix}node:*`)).toHaveLength(2)
    await lock.release()
    await (await waiter).release()
    expect(await admin.exists(`${prefix}lock:doc`, `${prefix}line:doc`, `${prefix}waiters:doc`)).toBe(0)
  })

  it('declares a lock lost while Redis is paused, before its lease could expire there; refuses new requests with LockerUnavailable; works again once Redis answers', async () => {
    const prefix = freshPrefix()
    const locker = await connect(prefix)
    const lock = await locker.acquire('paused', { signal: forever() })
    // Let a renewal or two pass, then read when the lease ends in Redis, right before the pause.
    await sleep(700)
    const leaseEnd = Number(await admin.pexpiretime(`${prefix}lock:paused`))
    server().pause()
    await new Promise((resolve) => lock.lost.addEventListener('abort', resolve, { once: true }))
    const lostAt = Date.now()
    expect(lock.lost.reason).toBeInstanceOf(LockLoss)
    expect(lock.signal.reason).toBeInstanceOf(LockLoss)
    expect(lostAt).toBeLessThan(leaseEnd)
    await expect(locker.acquire('other', { signal: forever() })).rejects.toBeInstanceOf(LockerUnavailable)
    server().resume()
    await lock.release()
    const again = await locker.acquire('other', { signal: forever() })
    await again.release()
  })

  it('finds a lock lost before a store sends a request once the process ran past the lease without its timers (paused)', async () => {
    const locker = await connect(freshPrefix())
    const lock = await locker.acquire('paused', { signal: forever() })
    beforeWrite()
    expect(lock.lost.aborted).toBe(false)
    // The event loop blocked past 4/5 of the lease: no timer (renewal, loss) ran, as in a stopped process.
    const until = performance.now() + 1300
    while (performance.now() < until) {
      // busy
    }
    beforeWrite()
    expect(lock.lost.reason).toBeInstanceOf(LockLoss)
    expect(lock.signal.reason).toBeInstanceOf(LockLoss)
  })

  it('refuses to start when Redis refuses the credentials of the URL (a wrong password is no outage to wait out)', async () => {
    const user = `u${randomBytes(4).toString('hex')}`
    await admin.call('ACL', 'SETUSER', user, 'on', '>right', '~*', '&*', '+@all')
    try {
      const url = new URL(server().url)
      url.username = user
      url.password = 'wrong'
      await expect(RedisLocker.connect({ url: url.href, keyPrefix: freshPrefix() })).rejects.toThrow(/^Redis refused the credentials of the URL: WRONGPASS/)
      url.password = 'right'
      lockers.push(await RedisLocker.connect({ url: url.href, keyPrefix: freshPrefix() }))
    } finally {
      await admin.call('ACL', 'DELUSER', user)
    }
  })

  it('refuses to start when the URL names a database Redis does not have (it went on in database 0, unseen by the others)', async () => {
    const url = new URL(server().url)
    url.pathname = '/99'
    await expect(RedisLocker.connect({ url: url.href, keyPrefix: freshPrefix() })).rejects.toThrow(/^Redis has no database 99 \(the URL's path\): ERR DB index is out of range/)
    url.pathname = '/3'
    lockers.push(await RedisLocker.connect({ url: url.href, keyPrefix: freshPrefix() }))
  })

  it('rejects waiters and stop requests with LockerUnavailable while Redis is down, and grants again once it is back', async () => {
    const prefix = freshPrefix()
    const locker = await connect(prefix)
    const peer = await connect(prefix)
    const holder = await locker.acquire('down', { signal: forever() })
    const waiter = peer.acquire('down', { signal: forever(), requestRelease: false })
    await sleep(100)
    server().pause()
    await expect(waiter).rejects.toBeInstanceOf(LockerUnavailable)
    await expect(peer.requestStop('down', new StopRequested())).rejects.toBeInstanceOf(LockerUnavailable)
    server().resume()
    await holder.release()
    const lock = await peer.acquire('down', { signal: forever() })
    await lock.release()
  })

  it('after a restart that lost every key: the holder loses its lock, nothing is granted until a lease after the restart, then grants resume with greater fences', async () => {
    const prefix = freshPrefix()
    const locker = await connect(prefix)
    const lock = await locker.acquire('restart', { signal: forever() })
    const restarting = Date.now()
    await server().restart()
    await new Promise((resolve) => lock.lost.addEventListener('abort', resolve, { once: true }))
    expect(lock.lost.reason).toBeInstanceOf(LockLoss)
    // A second gateway, connected after the restart, must not get the lock while the first may still write.
    const other = await RedisLocker.connect({ url: server().url, keyPrefix: prefix, leaseMs: 1500 })
    lockers.push(other)
    const next = await other.acquire('restart', { signal: AbortSignal.timeout(10_000) })
    // Not before a lease has passed since the new Redis started (which was after the restart began).
    expect(Date.now() - restarting).toBeGreaterThanOrEqual(1500)
    expect(next.fence).toBeGreaterThan(lock.fence)
    await next.release()
    await lock.release()
  })

  it('grants at once on a Redis it has never used that has been up for longer than a lease and the second its uptime may overstate', async () => {
    const uptimeMs = Number(/uptime_in_seconds:(\d+)/.exec(await admin.info('server'))?.[1]) * 1000
    if (uptimeMs < 3000) await sleep(3100 - uptimeMs)
    const locker = await RedisLocker.connect({ url: server().url, keyPrefix: freshPrefix(), leaseMs: 1500 })
    lockers.push(locker)
    // wait: false is refused while a Redis grants nothing yet: here it is granted.
    const lock = await locker.acquire('first', { signal: forever(), wait: false })
    await lock.release()
  })

  it('skips a waiter whose gateway stopped renewing its place, and hands the lock to the next one', async () => {
    const prefix = freshPrefix()
    const locker = await connect(prefix)
    const holder = await locker.acquire('skip', { signal: forever() })
    // A waiter of a gateway that died: first in line, its place not renewed for longer than it lasts.
    await admin.zadd(`${prefix}line:skip`, 1, 'deadnode.1')
    await admin.hset(`${prefix}waiters:skip`, 'deadnode.1', `${Date.now() - 1}:r`)
    const waiter = locker.acquire('skip', { signal: AbortSignal.timeout(5000), requestRelease: false })
    await sleep(50)
    await holder.release()
    await (await waiter).release()
  })
})
