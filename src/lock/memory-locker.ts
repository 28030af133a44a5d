import { LockBusy } from '../model/errors.js'
import { ReleaseRequested, ShutdownRequested, type StopRequested } from '../model/stop-reasons.js'
import type { AcquireOptions, Lock, Locker } from './locker.js'
import { WaitQueue, type QueuePlace } from './wait-queue.js'

export interface MemoryLockerOptions {
  /**
   * Most requests that may wait for one upload (default 64); the next one is refused at once with
   * `LockBusy`. One upload is driven by one client: legitimate waiters are a handful (a resumed PATCH, a
   * HEAD, a retry, the sweeper), and each costs the holder a release request and a hand-over, so a long
   * queue serves nobody. Without a bound, a client resetting HTTP/2 streams for one upload grew the
   * process to gigabytes (issue 10, item 1). 0 refuses every request that finds the lock held.
   */
  readonly maxWaiters?: number
}

interface Waiter {
  readonly requestRelease: boolean
  readonly signal: AbortSignal
  readonly grant: (lock: Lock) => void
  readonly reject: (reason: unknown) => void
  readonly onAbort: () => void
}

/** A held id: its holder's controller (whose signal the holder watches) and who waits. */
interface Held {
  holder: AbortController
  readonly waiters: WaitQueue<Waiter>
}

/**
 * Locks for one process. A request that finds the upload locked joins a FIFO queue and (unless
 * `requestRelease: false`) asks the holder to release: the holder's signal aborts with
 * `ReleaseRequested`, once. When the holder lets go, the lock passes straight to the first waiter (an
 * event, no polling); if others still wait and one of them wants the lock soon, the new holder is asked
 * in turn, so a queue of short requests (HEAD) never waits behind a long one (PATCH). A waiter whose
 * signal aborts leaves the queue at once, in O(1), and nothing of it stays behind. A memory lock cannot
 * be lost; `fence` comes from one counter for all ids.
 */
export class MemoryLocker implements Locker {
  readonly #maxWaiters: number
  readonly #held = new Map<string, Held>()
  #fence = 0
  #closed = false

  /** Throws RangeError when `maxWaiters` is not a whole number >= 0 (Infinity allowed). */
  constructor(options: MemoryLockerOptions = {}) {
    const maxWaiters = options.maxWaiters ?? 64
    if (!(maxWaiters >= 0 && (Number.isInteger(maxWaiters) || maxWaiters === Infinity))) {
      throw new RangeError(`maxWaiters must be a whole number >= 0, got ${maxWaiters}`)
    }
    this.#maxWaiters = maxWaiters
  }

  /**
   * Resolves with the lock of `id` once it is free. Rejects with `signal.reason` when the signal aborts
   * first (at once when it is aborted already, without disturbing the holder), with `LockBusy` when
   * `maxWaiters` wait already (or at once, with `wait: false`, when it is held), and with `ShutdownRequested`
   * once the locker is closed.
   */
  async acquire(id: string, options: AcquireOptions): Promise<Lock> {
    if (this.#closed) throw new ShutdownRequested()
    const { signal } = options
    signal.throwIfAborted()
    const held = this.#held.get(id)
    if (held === undefined) {
      const fresh: Held = { holder: new AbortController(), waiters: new WaitQueue() }
      this.#held.set(id, fresh)
      return this.#lock(id, fresh)
    }
    if (options.wait === false || held.waiters.size >= this.#maxWaiters) throw new LockBusy(id, held.waiters.size)
    const requestRelease = options.requestRelease ?? true
    const granted = new Promise<Lock>((grant, reject) => {
      // The listener is the waiter's only tie to the signal, and the queue its only tie to the locker:
      // both are cut when it leaves, so an aborted waiter is garbage at once.
      const onAbort = (): void => {
        held.waiters.remove(place)
        reject(signal.reason)
      }
      const place: QueuePlace<Waiter> = held.waiters.push({ requestRelease, signal, grant, reject, onAbort })
      signal.addEventListener('abort', onAbort, { once: true })
    })
    if (requestRelease) ask(held.holder)
    return granted
  }

  /** Aborts the signal of the holder of `id` with `reason`; a no-op when `id` is free or its holder was asked to let go already. */
  async requestStop(id: string, reason: StopRequested): Promise<void> {
    const held = this.#held.get(id)
    if (held !== undefined && !held.holder.signal.aborted) held.holder.abort(reason)
  }

  /**
   * Rejects every waiter and aborts every holder's signal with `ShutdownRequested`, then forgets all
   * locks: later releases are no-ops, later acquires reject. Safe to call twice.
   */
  async close(): Promise<void> {
    this.#closed = true
    const reason = new ShutdownRequested()
    for (const held of this.#held.values()) {
      for (let waiter = held.waiters.shift(); waiter !== undefined; waiter = held.waiters.shift()) {
        waiter.signal.removeEventListener('abort', waiter.onAbort)
        waiter.reject(reason)
      }
      // Waiters first: a holder that releases the moment it is told must find nobody to hand the lock to.
      if (!held.holder.signal.aborted) held.holder.abort(reason)
    }
    this.#held.clear()
  }

  /** Makes `held`'s holder a new grant and returns its lock. */
  #lock(id: string, held: Held): Lock {
    const fence = ++this.#fence
    let released = false
    return {
      signal: held.holder.signal,
      lost: NEVER_LOST,
      fence,
      release: async () => {
        // Until its one release, a lock is its id's holder: only that release passes the lock on, and
        // close() drained the queue of a lock released after it.
        if (released) return
        released = true
        this.#handOver(id, held)
      },
    }
  }

  #handOver(id: string, held: Held): void {
    for (let next = held.waiters.shift(); next !== undefined; next = held.waiters.shift()) {
      next.signal.removeEventListener('abort', next.onAbort)
      // An abort listener that ran before ours may have released the holder: this waiter is gone all the same.
      if (next.signal.aborted) {
        next.reject(next.signal.reason)
        continue
      }
      held.holder = new AbortController()
      const lock = this.#lock(id, held)
      // Someone behind the new holder wants the lock soon: it is asked at once, on their behalf.
      if (held.waiters.askers > 0) ask(held.holder)
      next.grant(lock)
      return
    }
    this.#held.delete(id)
  }
}

/** A memory lock cannot be lost: its `lost` signal never aborts. */
const NEVER_LOST = new AbortController().signal

/** Asks a holder to release, once: a holder whose signal aborted already (asked, stopped) is left as it is. */
function ask(holder: AbortController): void {
  if (!holder.signal.aborted) holder.abort(new ReleaseRequested())
}
