/** What a shared read gets from `SharedReads.run`. */
export interface SharedRead {
  /** Aborts once every request sharing the read has gone, with the reason of the last one to go. */
  readonly signal: AbortSignal
  /**
   * Closes the read to newcomers; call it right before reading. A request that arrives afterwards gets a
   * read of its own, which starts after this one. Safe to call twice.
   */
  seal(): void
}

interface Group<T> {
  readonly abort: AbortController
  members: number
  sealed: boolean
  result?: Promise<T>
}

/**
 * Lets requests that want the same read share one: a request that arrives while a read of its key waits
 * to start (for a lock, say) joins it, and every member gets its result. Nothing is weakened by that: the
 * read starts after each member arrived, so it sees whatever was done before any of them asked, as a read
 * of its own would; once it starts (`seal`), newcomers wait for the next read.
 *
 * Why: a status read holds the upload's lock, and a client can ask for it as fast as it can send HTTP/2
 * HEADERS. However many ask at once, the upload now sees one waiter and one store read for them all
 * (issue 10, item 1). A member that goes away leaves at once; the read is abandoned when the last goes.
 */
export class SharedReads<T> {
  readonly #open = new Map<string, Group<T>>()

  /**
   * Runs `read` for `key`, or joins the read of `key` that has not started yet. Settles as that read
   * does, except that it rejects with `signal.reason` as soon as `signal` aborts (at once when it is
   * aborted already); the read goes on for the other members, and is aborted when none is left.
   * `read` must call `seal()` before it reads, and must settle once its signal aborts.
   */
  run(key: string, signal: AbortSignal, read: (shared: SharedRead) => Promise<T>): Promise<T> {
    signal.throwIfAborted()
    const group = this.#open.get(key) ?? this.#start(key, read)
    group.members += 1
    const result = group.result as Promise<T>
    return new Promise<T>((resolve, reject) => {
      const leave = (): void => {
        group.members -= 1
        if (group.members > 0) return
        this.#seal(key, group)
        group.abort.abort(signal.reason)
      }
      const onAbort = (): void => {
        leave()
        reject(signal.reason)
      }
      signal.addEventListener('abort', onAbort, { once: true })
      result.then(
        (value) => {
          signal.removeEventListener('abort', onAbort)
          resolve(value)
        },
        (error: unknown) => {
          signal.removeEventListener('abort', onAbort)
          reject(error)
        },
      )
    })
  }

  #start(key: string, read: (shared: SharedRead) => Promise<T>): Group<T> {
    const group: Group<T> = { abort: new AbortController(), members: 0, sealed: false }
    this.#open.set(key, group)
    const seal = (): void => this.#seal(key, group)
    // A read that fails before it seals (a refusal from the locker) takes no one more either.
    group.result = (async () => read({ signal: group.abort.signal, seal }))().finally(seal)
    // Every member has its own handler; a read abandoned by all of them may reject with no one to hear it.
    group.result.catch(() => {})
    return group
  }

  #seal(key: string, group: Group<T>): void {
    if (group.sealed) return
    group.sealed = true
    if (this.#open.get(key) === group) this.#open.delete(key)
  }
}
