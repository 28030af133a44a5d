import { RecentIds } from './recent-ids.js'

/**
 * Which uploads were removed because they expired, so that a request for one is told "expired" (tus:
 * 410 Gone) rather than "not found" while it is remembered. A gateway alone keeps them in its memory;
 * gateways behind one load balancer share them through Redis (`RedisLocker.expiredUploads()`), so that
 * the answer does not depend on which gateway's sweeper removed the upload.
 */
export interface ExpiredUploads {
  /** Remembers `id`. Never rejects: the upload is gone either way, and forgetting it only turns a later 410 into a 404. */
  remember(id: string): Promise<void>
  /** True while `id` is remembered. Throws when it cannot tell (a shared memory that cannot be reached). */
  wasRemoved(id: string): Promise<boolean>
}

/** `ExpiredUploads` in this process's memory: the newest `capacity` ids. */
export class ExpiredInMemory implements ExpiredUploads {
  readonly #ids: RecentIds

  /** Throws RangeError when `capacity` is not a positive whole number. */
  constructor(capacity: number) {
    this.#ids = new RecentIds(capacity)
  }

  async remember(id: string): Promise<void> {
    this.#ids.add(id)
  }

  async wasRemoved(id: string): Promise<boolean> {
    return this.#ids.has(id)
  }
}
