/**
 * `resumable-gateway/redis`: the Redis locker, apart from the main entry so that a gateway with another locker
 * never loads ioredis. `await RedisLocker.connect({ url })`; hand it to `createGateway({ locker, expiredUploads:
 * locker.expiredUploads() })`.
 */
export { RedisLocker, type RedisLockerOptions } from './lock/redis/redis-locker.js'
