import type { Logger } from 'pino'
import type { ExpiredUploads } from '../core/expiry/expired-uploads.js'
import type { Locker } from '../lock/locker.js'
import type { CliOptions } from './options.js'
import { uploadDirFailure } from './upload-dir.js'

/** What `--locker` builds: the locker (undefined: the gateway's memory locker) and, when shared, where expired uploads are remembered. */
export interface LockerChoice {
  readonly locker?: Locker
  readonly expiredUploads?: ExpiredUploads
}

/**
 * The locker the flags ask for (`--locker`): memory (the gateway's own, for one process), file (lock
 * files in `--upload-dir`, for processes of one host), redis (`--redis-url`, for gateways on many hosts,
 * which then also share which uploads expired). Warnings of the locker go to `logger`. Throws with a
 * message naming the flag when the flags contradict each other.
 */
export async function lockerFromFlags(options: CliOptions, logger: Logger): Promise<LockerChoice> {
  if (options.locker !== 'redis' && options.redisUrl !== undefined) {
    throw new Error('--redis-url is only used with --locker redis (RESUMABLE_GATEWAY_LOCKER=redis)')
  }
  const onWarning = (message: string, details: Record<string, unknown>): void => logger.warn(details, message)
  switch (options.locker) {
    case 'memory':
      return {}
    case 'file': {
      // Loaded only for this locker, like the others: a gateway carries no code it does not run.
      const { FileLocker } = await import('../lock/file/file-locker.js')
      try {
        return { locker: await FileLocker.open({ directory: options.uploadDir, onWarning }) }
      } catch (error) {
        throw uploadDirFailure(options.uploadDir, error)
      }
    }
    case 'redis': {
      if (options.redisUrl === undefined) throw new Error('--locker redis needs --redis-url (or RESUMABLE_GATEWAY_REDIS_URL)')
      // Loaded only for this locker: ioredis costs ~25 MiB of memory.
      const { RedisLocker } = await import('../lock/redis/redis-locker.js')
      const locker = await RedisLocker.connect({ url: options.redisUrl, keyPrefix: options.redisKeyPrefix, leaseMs: options.redisLockLease, onWarning })
      return { locker, expiredUploads: locker.expiredUploads() }
    }
  }
}
