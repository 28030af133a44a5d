import type { AcquireOptions, Lock, Locker } from './locker.js'

interface Holder {
  readonly onReleaseRequested: () => void
}

interface Waiter extends Holder {
  readonly grant: () => void
}

interface LockState {
  holder: Holder
  readonly waiters: Waiter[]
}

/**
 * Locks for one process. A request that finds the upload locked joins a FIFO queue and asks the
 * holder to release; when the holder lets go, the lock passes straight to the first waiter (an
 * event, no polling). If others still wait, the new holder is asked to release in turn, so a
 * queue of short requests (HEAD) never waits behind a long one (PATCH).
 */
export class MemoryLocker implements Locker {
  readonly #locks = new Map<string, LockState>()

  async acquire(id: string, options: AcquireOptions): Promise<Lock> {
    options.signal.throwIfAborted()
    const state = this.#locks.get(id)
    if (state === undefined) {
      const holder: Holder = { onReleaseRequested: options.onReleaseRequested }
      this.#locks.set(id, { holder, waiters: [] })
      return this.#lockFor(id, holder)
    }
    let grant!: () => void
    const granted = new Promise<void>((resolve, reject) => {
      const onAbort = (): void => {
        const index = state.waiters.indexOf(waiter)
        if (index >= 0) state.waiters.splice(index, 1)
        reject(options.signal.reason)
      }
      options.signal.addEventListener('abort', onAbort, { once: true })
      grant = () => {
        options.signal.removeEventListener('abort', onAbort)
        resolve()
      }
    })
    const waiter: Waiter = { onReleaseRequested: options.onReleaseRequested, grant }
    state.waiters.push(waiter)
    state.holder.onReleaseRequested()
    await granted
    return this.#lockFor(id, waiter)
  }

  #lockFor(id: string, holder: Holder): Lock {
    let released = false
    return {
      release: async () => {
        if (released) return
        released = true
        this.#handOver(id, holder)
      },
    }
  }

  #handOver(id: string, holder: Holder): void {
    const state = this.#locks.get(id)
    if (state === undefined || state.holder !== holder) return
    const next = state.waiters.shift()
    if (next === undefined) {
      this.#locks.delete(id)
      return
    }
    state.holder = next
    next.grant()
    // Others still wait: the new holder is asked once on their behalf.
    if (state.waiters.length > 0) next.onReleaseRequested()
  }
}
