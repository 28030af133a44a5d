import { describeWithServer } from '../servers/availability.js'
import { describeWithNginx } from '../servers/nginx.js'
import { redis } from '../servers/redis.js'
import { SHARED_STORES } from './cluster.js'
import { expiryCases } from './expiry-cases.js'

// What gateways behind one load balancer must share beyond the locks: the expiration sweeper runs on
// every gateway at once, and after an expiry every gateway answers alike (Redis) or as documented (file).

const store = SHARED_STORES[0] as (typeof SHARED_STORES)[number]

describeWithNginx('gateways sharing state behind nginx', () => {
  expiryCases('with the file locker', () => ({ store, locker: { kind: 'file' } }), false)
})

describeWithServer('gateways sharing state behind nginx, with Redis', redis, (server) => {
  describeWithNginx('with the Redis locker', () => {
    expiryCases('with the Redis locker', () => ({ store, locker: { kind: 'redis', redis: server, leaseMs: 2000 } }), true)
  })
})
