import { LockerUnavailable } from '../../model/errors.js'
import type { RedisConnection } from './redis-connection.js'

/**
 * Which uploads were removed because they expired, kept in Redis (`<prefix>expired`, a sorted set of
 * the newest `capacity` ids), so that every gateway answers "410 Gone" for them, not only the one whose
 * sweeper removed them. The shape of the service's `ExpiredUploads`.
 */
export class ExpiredInRedis {
  readonly #connection: RedisConnection
  readonly #key: string
  readonly #capacity: number
  readonly #onWarning: (message: string, details: Record<string, unknown>) => void

  /** Throws RangeError when `capacity` is not a positive whole number. */
  constructor(connection: RedisConnection, key: string, capacity: number, onWarning: (message: string, details: Record<string, unknown>) => void) {
    if (!(Number.isSafeInteger(capacity) && capacity > 0)) throw new RangeError(`not a capacity: ${capacity}`)
    this.#connection = connection
    this.#key = key
    this.#capacity = capacity
    this.#onWarning = onWarning
  }

  /** Remembers `id` as expired. Never rejects: the upload is gone either way, and a later request gets 404 instead of 410. */
  async remember(id: string): Promise<void> {
    try {
      await this.#connection.run('rgRemember', [this.#key], [id, this.#capacity])
    } catch (error) {
      this.#onWarning('could not record an expired upload in Redis; it will be answered 404 rather than 410', { err: error, uploadId: id })
    }
  }

  /** True when `id` was removed because it expired, and is among the newest `capacity` such ids. Throws `LockerUnavailable`. */
  async wasRemoved(id: string): Promise<boolean> {
    try {
      return (await this.#connection.commands.zscore(this.#key, id)) !== null
    } catch (error) {
      throw new LockerUnavailable({ cause: error })
    }
  }
}
