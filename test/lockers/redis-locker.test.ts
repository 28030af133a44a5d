import { randomBytes } from 'node:crypto'
import { Redis } from 'ioredis'
import { afterAll, beforeAll } from 'vitest'
import { runLockerSuite } from '../../src/lock/conformance.suite.js'
import { RedisLocker } from '../../src/lock/redis/redis-locker.js'
import { describeWithServer } from '../servers/availability.js'
import { redis } from '../servers/redis.js'

// A short lease, so that renewals and the loss of a lock happen within a test: renewed every 500 ms,
// declared lost 1.2 s after the last renewal was sent.
const LEASE_MS = 1500

describeWithServer('the Redis locker on a real redis-server', redis, (server) => {
  // One prefix for the suite: a Redis up for less than a lease grants nothing until then (see RedisLocker), paid once here.
  const prefix = `suite-${randomBytes(4).toString('hex')}:`
  let admin: Redis
  beforeAll(() => {
    admin = new Redis(server().url)
  })
  afterAll(() => {
    admin.disconnect()
  })

  runLockerSuite('redis', {
    make: async () => {
      const options = { url: server().url, keyPrefix: prefix, leaseMs: LEASE_MS, maxWaiters: 8 }
      const locker = await RedisLocker.connect(options)
      const peer = await RedisLocker.connect(options)
      return { locker, peer, cleanup: () => Promise.all([locker.close(), peer.close()]).then(() => undefined) }
    },
    maxWaiters: 8,
    capabilities: {
      // The lease deleted behind the holder's back: its next renewal finds it gone.
      lockLoss: async (_locker, id) => {
        await admin.del(`${prefix}lock:${id}`)
      },
    },
  })
})
