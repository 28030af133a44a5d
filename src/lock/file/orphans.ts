/**
 * Waiters of this process that gave up while a holder of another process held the lock: that holder may
 * have read the line before they left, and may still hand the lock to one of them. Each is remembered
 * with the holder it gave up under, until the lock changes hands: then either it was handed to one of
 * them (who must pass it on) or it went elsewhere (and they are forgotten).
 */
export class Orphans {
  readonly #byId = new Map<string, { readonly token: string; readonly holderToken: string }[]>()

  get size(): number {
    return this.#byId.size
  }

  ids(): string[] {
    return [...this.#byId.keys()]
  }

  has(id: string): boolean {
    return this.#byId.has(id)
  }

  /** Remembers that the waiter with `token` gave up while `holderToken` held `id`. */
  add(id: string, token: string, holderToken: string): void {
    const list = this.#byId.get(id) ?? []
    list.push({ token, holderToken })
    this.#byId.set(id, list)
  }

  /**
   * Given who holds `id` now (a token, or undefined when free): true when it is one of the waiters that
   * gave up, which must pass it on. Waiters whose holder has let go are forgotten.
   */
  handedTo(id: string, holderToken: string | undefined): boolean {
    const list = this.#byId.get(id)
    if (list === undefined) return false
    const keep = list.filter((orphan) => orphan.holderToken === holderToken)
    if (keep.length > 0) this.#byId.set(id, keep)
    else this.#byId.delete(id)
    return holderToken !== undefined && list.some((orphan) => orphan.token === holderToken)
  }
}
