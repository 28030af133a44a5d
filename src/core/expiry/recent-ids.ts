/**
 * A set of ids that remembers only the most recent `capacity` of them, so that it never grows without
 * bound (used for expired uploads: "410 Gone" while remembered, "404 Not Found" after).
 */
export class RecentIds {
  // A Set iterates in insertion order: its first entry is always the oldest.
  readonly #ids = new Set<string>()
  readonly #capacity: number

  /** `capacity` must be a positive integer. Throws RangeError otherwise. */
  constructor(capacity: number) {
    if (!(Number.isSafeInteger(capacity) && capacity > 0)) throw new RangeError(`not a capacity: ${capacity}`)
    this.#capacity = capacity
  }

  /** How many ids are remembered now. */
  get size(): number {
    return this.#ids.size
  }

  /** Remembers `id` as the most recent, forgetting the oldest id when full. */
  add(id: string): void {
    this.#ids.delete(id)
    this.#ids.add(id)
    if (this.#ids.size > this.#capacity) {
      const oldest = this.#ids.values().next().value
      if (oldest !== undefined) this.#ids.delete(oldest)
    }
  }

  has(id: string): boolean {
    return this.#ids.has(id)
  }
}
