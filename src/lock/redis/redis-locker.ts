import { randomBytes } from 'node:crypto'
import { LockBusy, LockerUnavailable } from '../../model/errors.js'
import { LockLoss, ReleaseRequested, ShutdownRequested, StopRequested, type StopDetails } from '../../model/stop-reasons.js'
import { checkBeforeWrites } from '../../model/write-checks.js'
import type { AcquireOptions, Lock, Locker } from '../locker.js'
import { Lease } from './lease.js'
import { RedisConnection, type ScriptReply } from './redis-connection.js'
import { ExpiredInRedis } from './expired-in-redis.js'
import { nodeOf, RedisKeys } from './redis-keys.js'

export interface RedisLockerOptions {
  /** `redis://[[user]:password@]host[:port][/db]`, or `rediss://` for TLS. */
  readonly url: string
  /** Prefix of every key and channel (default `resumable-gateway:`); see `redis-keys.ts` for the names. */
  readonly keyPrefix?: string
  /** How long a grant lives in Redis without renewal (default 10 s; at least 300 ms). Also how long a dead gateway's locks last. */
  readonly leaseMs?: number
  /** Most requests, of every gateway, that may wait for one upload (default 64); the next is refused with `LockBusy`. */
  readonly maxWaiters?: number
  /** Receives what an operator should know (Redis unreachable, a release that failed); must not throw. */
  readonly onWarning?: (message: string, details: Record<string, unknown>) => void
}

interface Holding {
  readonly id: string
  readonly token: string
  readonly controller: AbortController
  readonly lost: AbortController
  lease: Lease | undefined
  released: boolean
}

interface Waiting {
  readonly id: string
  readonly token: string
  readonly requestRelease: boolean
  readonly wait: boolean
  readonly signal: AbortSignal
  readonly resolve: (lock: Lock) => void
  readonly reject: (reason: unknown) => void
  readonly onAbort: () => void
  /** In Redis's line (or on its way there). */
  inLine: boolean
  timer: NodeJS.Timeout | undefined
  busy: boolean
  /** A step asked for while one was running: it runs right after (a grant's confirmation goes before a look). */
  next: { readonly work: () => Promise<void>; readonly confirms: boolean } | undefined
  done: boolean
}

/** A message on a node's channel. */
type Message =
  | { readonly type: 'release'; readonly token: string }
  | { readonly type: 'stop'; readonly token: string; readonly details: StopDetails }
  | { readonly type: 'granted'; readonly id: string; readonly token: string; readonly fence: number; readonly asked: boolean }

/**
 * Locks shared by gateways on many hosts through one Redis (`--locker redis`).
 *
 * A grant is a lease: a hash with a random token and a fence, set only when the lock is free (and nobody
 * waits) and expiring after `leaseMs`; the holder renews it every third of the lease and gives up (its
 * signal and `lost` abort with `LockLoss`) before Redis could let it expire (see `Lease`). Release is a
 * compare-and-delete by token. Fences come from one counter (INCR), so every grant gets a greater one.
 *
 * Waiting: a request that finds the lock held joins the id's line in Redis and (unless polite) asks
 * the holder to release with a message on the holder's gateway channel. Every change of holder happens
 * in one script: a release (or a waiter giving up after it was handed the lock) grants the lock to the
 * first live waiter at once, and its gateway is told on its channel; a waiter also looks for itself at
 * most every second (and when the holder's lease would end), which renews its place in line and picks up
 * grants whose message was lost, or locks whose holder died. Never a tight loop.
 *
 * Order: waiters are served in the order Redis received their requests to wait, across all gateways; a
 * request that finds the lock free with nobody waiting takes it at once; a waiter whose gateway stops
 * renewing its place (a second, or a lease, without a look) loses it.
 *
 * Redis unreachable: `acquire` and `requestStop` reject with `LockerUnavailable` (503 with Retry-After),
 * waiters too, holders lose their locks in time; when Redis is back, grants resume by themselves. A
 * Redis that comes back without its data grants nothing until a lease after it started, so that holders of leases it
 * forgot have declared their loss first (a Redis up for longer than a lease grants at once).
 */
export class RedisLocker implements Locker {
  readonly #connection: RedisConnection
  readonly #keys: RedisKeys
  readonly #leaseMs: number
  readonly #maxWaiters: number
  readonly #recheckMs: number
  readonly #onWarning: (message: string, details: Record<string, unknown>) => void
  readonly #node = randomBytes(6).toString('hex')
  #counter = 0
  readonly #holdings = new Map<string, Holding>()
  readonly #waiters = new Map<string, Waiting>()
  readonly #pending = new Set<Promise<unknown>>()
  #unreachable = false
  #closing: Promise<void> | undefined
  /** Stops checking the leases before the stores' requests (see `checkBeforeWrites`). */
  readonly #stopChecks: () => void

  private constructor(options: RedisLockerOptions) {
    const leaseMs = options.leaseMs ?? 10_000
    if (!(Number.isFinite(leaseMs) && leaseMs >= 300)) throw new RangeError(`leaseMs must be at least 300, got ${leaseMs}`)
    const maxWaiters = options.maxWaiters ?? 64
    if (!(maxWaiters >= 0 && (Number.isInteger(maxWaiters) || maxWaiters === Infinity))) {
      throw new RangeError(`maxWaiters must be a whole number >= 0, got ${maxWaiters}`)
    }
    this.#leaseMs = Math.round(leaseMs)
    this.#maxWaiters = maxWaiters
    this.#recheckMs = Math.min(1000, Math.round(leaseMs / 3))
    this.#onWarning = options.onWarning ?? (() => {})
    this.#keys = new RedisKeys(options.keyPrefix ?? 'resumable-gateway:')
    this.#connection = new RedisConnection(options.url, Math.min(2000, Math.round(leaseMs / 3)), (error, connection) => this.#connectionFailed(error, connection))
    this.#connection.commands.on('ready', () => {
      if (this.#unreachable) this.#onWarning('Redis is reachable again', { prefix: this.#keys.prefix })
      this.#unreachable = false
    })
    this.#connection.subscriber.on('message', (_channel: string, text: string) => this.#onMessage(text))
    this.#stopChecks = checkBeforeWrites(() => {
      for (const holding of this.#holdings.values()) holding.lease?.check()
    })
  }

  /**
   * Connects to Redis and subscribes to this locker's channel. Waits up to ~2 s for Redis; when it cannot
   * be reached, the locker starts anyway (requests get `LockerUnavailable` until it can). Throws RangeError
   * for a bad option or URL, and when Redis refuses the URL's credentials (a configuration error, not an outage).
   */
  static async connect(options: RedisLockerOptions): Promise<RedisLocker> {
    const locker = new RedisLocker(options)
    void locker.#connection.subscriber.subscribe(locker.#keys.node(locker.#node)).catch(() => undefined)
    try {
      await locker.#connection.ready(2000)
    } catch (error) {
      await locker.close()
      throw error
    }
    return locker
  }

  /** The shared memory of expired uploads (410 rather than 404 on every gateway), keeping the newest `capacity`. */
  expiredUploads(capacity = 10_000): ExpiredInRedis {
    return new ExpiredInRedis(this.#connection, this.#keys.expired, capacity, this.#onWarning)
  }

  /**
   * Resolves with the lock of `id` once it is free or handed over. Rejects with `signal.reason` when the
   * signal aborts first, `LockBusy` (`wait: false` and held; past `maxWaiters`), `LockerUnavailable` when
   * Redis cannot be reached (also while waiting), `ShutdownRequested` once closed.
   */
  acquire(id: string, options: AcquireOptions): Promise<Lock> {
    if (this.#closing !== undefined) return Promise.reject(new ShutdownRequested())
    const { signal } = options
    if (signal.aborted) return Promise.reject(signal.reason)
    return new Promise<Lock>((resolve, reject) => {
      const waiter: Waiting = {
        id,
        token: `${this.#node}.${(++this.#counter).toString(36)}`,
        requestRelease: options.requestRelease ?? true,
        wait: options.wait ?? true,
        signal,
        resolve,
        reject,
        onAbort: () => this.#giveUp(waiter, signal.reason),
        inLine: false,
        timer: undefined,
        busy: false,
        next: undefined,
        done: false,
      }
      this.#waiters.set(waiter.token, waiter)
      signal.addEventListener('abort', waiter.onAbort, { once: true })
      this.#step(waiter, () => this.#join(waiter))
    })
  }

  /** Aborts the signal of the holder of `id`, on whichever gateway, with `reason`; a no-op when nobody holds it. Throws `LockerUnavailable`. */
  async requestStop(id: string, reason: StopRequested): Promise<void> {
    let token: string | null
    try {
      token = await this.#connection.commands.hget(this.#keys.lock(id), 'token')
    } catch (error) {
      throw new LockerUnavailable({ cause: error })
    }
    if (token === null) return
    const local = this.#holdings.get(token)
    if (local !== undefined) abortOnce(local.controller, reason)
    else await this.#send(token, { type: 'stop', token, details: reason.details })
  }

  /**
   * Rejects every waiter with `ShutdownRequested` (out of Redis's lines), aborts every holder's signal
   * with it, releases what is still held, and closes the connections. Safe to call twice.
   */
  close(): Promise<void> {
    this.#closing ??= this.#shutDown()
    return this.#closing
  }

  async #shutDown(): Promise<void> {
    const reason = new ShutdownRequested()
    const waiters = [...this.#waiters.values()]
    for (const waiter of waiters) this.#stopWaiting(waiter)
    await this.#settlePending()
    for (const holding of this.#holdings.values()) abortOnce(holding.controller, reason)
    await this.#settlePending()
    await Promise.allSettled([...this.#holdings.values()].map((holding) => this.#release(holding)))
    await this.#connection.close()
    this.#stopChecks()
    // Last, so that a caller awaiting close() is there to see the rejections.
    for (const waiter of waiters) waiter.reject(reason)
  }

  /** Runs one step of a waiter's life at a time; a failure rejects it with `LockerUnavailable`. */
  #step(waiter: Waiting, work: () => Promise<void>, confirms = false): void {
    if (waiter.done) return
    if (waiter.busy) {
      if (confirms || waiter.next?.confirms !== true) waiter.next = { work, confirms }
      return
    }
    waiter.busy = true
    this.#track(
      work()
        .catch((error: unknown) => this.#giveUp(waiter, error instanceof LockBusy ? error : new LockerUnavailable({ cause: error })))
        .finally(() => {
          waiter.busy = false
          const next = waiter.next
          waiter.next = undefined
          if (next !== undefined) this.#step(waiter, next.work, next.confirms)
        }),
    )
  }

  /** Takes the lock if free, or joins the line (and asks the holder), or waits out a fresh Redis's first lease. */
  async #join(waiter: Waiting): Promise<void> {
    const { id, token } = waiter
    const sentAt = performance.now()
    waiter.inLine = true
    const maxWaiters = this.#maxWaiters === Infinity ? -1 : this.#maxWaiters
    const args = [token, this.#leaseMs, waiter.wait ? 1 : 0, waiter.requestRelease ? 'r' : 'p', maxWaiters, this.#leaseMs]
    const reply = await this.#run('rgAcquire', this.#keys.ofId(id), args)
    const [status, a, b] = reply
    this.#announceHanded(id, reply.slice(3))
    if (status !== 'queued') waiter.inLine = false
    if (status === 'granted') return this.#granted(waiter, Number(a), false, sentAt)
    if (waiter.done) return
    if (status === 'busy') throw new LockBusy(id, Number(a))
    if (status === 'warming') {
      if (!waiter.wait) throw new LockBusy(id, 0)
      return this.#schedule(waiter, Number(a), () => this.#join(waiter))
    }
    if (waiter.requestRelease) await this.#askRelease(String(a))
    this.#scheduleLook(waiter, Number(b))
  }

  /** A waiter's own look (heartbeat and fallback): granted, still waiting, or out of line (then it joins again). */
  async #look(waiter: Waiting): Promise<void> {
    const { id, token } = waiter
    const sentAt = performance.now()
    const reply = await this.#run('rgCheck', this.#keys.ofId(id).slice(0, 4), [token, this.#leaseMs, waiter.requestRelease ? 'r' : 'p', this.#leaseMs])
    const [status, a, b] = reply
    this.#announceHanded(id, reply.slice(3))
    if (status === 'granted') return this.#granted(waiter, Number(a), Number(b) === 1, sentAt)
    if (waiter.done) return
    if (status === 'gone') return this.#join(waiter)
    if (waiter.requestRelease) await this.#askRelease(String(a))
    this.#scheduleLook(waiter, Number(b))
  }

  /** A grant announced on our channel: confirmed by renewing the lease (which starts its clock here), then handed to the waiter. */
  async #confirm(waiter: Waiting, fence: number, asked: boolean): Promise<void> {
    const sentAt = performance.now()
    const kept = await this.#renew(waiter.id, waiter.token)
    if (kept) await this.#granted(waiter, fence, asked, sentAt)
    else if (!waiter.done) await this.#look(waiter)
  }

  /** The waiter holds the lock now (Redis says so); a waiter that gave up meanwhile passes it on. */
  async #granted(waiter: Waiting, fence: number, asked: boolean, sentAt: number): Promise<void> {
    const holding: Holding = { id: waiter.id, token: waiter.token, controller: new AbortController(), lost: new AbortController(), lease: undefined, released: false }
    if (waiter.done) {
      await this.#release(holding)
      return
    }
    // Redis took it out of line when it granted the lock: leaving now would give the lock away.
    waiter.inLine = false
    this.#stopWaiting(waiter)
    this.#holdings.set(holding.token, holding)
    holding.lease = new Lease(this.#leaseMs, sentAt, () => this.#renew(holding.id, holding.token), (cause) => this.#lose(holding, cause))
    if (asked) abortOnce(holding.controller, new ReleaseRequested())
    waiter.resolve({
      signal: holding.controller.signal,
      lost: holding.lost.signal,
      fence,
      release: () => this.#release(holding),
      checkHeld: () => holding.lease?.check(),
    })
  }

  async #release(holding: Holding): Promise<void> {
    if (holding.released) return
    holding.released = true
    holding.lease?.stop()
    this.#holdings.delete(holding.token)
    try {
      const reply = await this.#run('rgRelease', this.#keys.ofId(holding.id).slice(0, 4), [holding.token, this.#leaseMs])
      this.#announceHanded(holding.id, reply.slice(1))
    } catch (error) {
      this.#onWarning('could not release a lock in Redis; it frees itself when its lease ends', { err: error, uploadId: holding.id })
    }
  }

  #lose(holding: Holding, cause: Error): void {
    if (holding.released) return
    holding.released = true
    this.#holdings.delete(holding.token)
    const loss = new LockLoss(holding.id, { cause })
    abortOnce(holding.lost, loss)
    abortOnce(holding.controller, loss)
    this.#onWarning('lost a lock: its lease could not be kept', { uploadId: holding.id, err: cause })
  }

  async #renew(id: string, token: string): Promise<boolean> {
    const reply = await this.#run('rgRenew', [this.#keys.lock(id)], [token, this.#leaseMs])
    return Number(reply[0]) === 1
  }

  /** Stops waiting and rejects; a waiter in line leaves it (passing on a lock handed to it meanwhile). */
  #giveUp(waiter: Waiting, reason: unknown): void {
    if (waiter.done) return
    this.#stopWaiting(waiter)
    waiter.reject(reason)
  }

  #stopWaiting(waiter: Waiting): void {
    if (waiter.done) return
    waiter.done = true
    clearTimeout(waiter.timer)
    waiter.signal.removeEventListener('abort', waiter.onAbort)
    this.#waiters.delete(waiter.token)
    if (waiter.inLine) this.#track(this.#leave(waiter))
  }

  async #leave(waiter: Waiting): Promise<void> {
    const reply = await this.#run('rgLeave', this.#keys.ofId(waiter.id).slice(0, 4), [waiter.token, this.#leaseMs])
    this.#announceHanded(waiter.id, reply.slice(1))
  }

  #scheduleLook(waiter: Waiting, holderPttl: number): void {
    // Look again within a second, and right when the holder's lease would end (a holder that died).
    const delay = holderPttl > 0 ? Math.min(this.#recheckMs, holderPttl + 5) : this.#recheckMs
    this.#schedule(waiter, delay, () => this.#look(waiter))
  }

  #schedule(waiter: Waiting, delayMs: number, work: () => Promise<void>): void {
    clearTimeout(waiter.timer)
    waiter.timer = setTimeout(() => this.#step(waiter, work), Math.max(0, delayMs))
  }

  /** Asks the holder with `holderToken` to release (a no-op for ''); a message that cannot be sent is sent again at the next look. */
  async #askRelease(holderToken: string): Promise<void> {
    if (holderToken === '') return
    const local = this.#holdings.get(holderToken)
    if (local !== undefined) abortOnce(local.controller, new ReleaseRequested())
    else await this.#send(holderToken, { type: 'release', token: holderToken }).catch(() => undefined)
  }

  /** Tells a waiter's gateway that the lock was handed to it (`handed`: token, fence, asked from a script's reply). */
  #announceHanded(id: string, handed: ScriptReply): void {
    const [token, fence, asked] = handed
    if (typeof token !== 'string' || token === '') return
    const message: Message = { type: 'granted', id, token, fence: Number(fence), asked: Number(asked) === 1 }
    if (nodeOf(token) === this.#node) this.#deliver(message)
    else this.#track(this.#send(token, message))
  }

  async #send(token: string, message: Message): Promise<void> {
    try {
      await this.#connection.commands.publish(this.#keys.node(nodeOf(token)), JSON.stringify(message))
    } catch (error) {
      // The waiter's own look, or the lease's end, makes up for a message that could not be sent.
      throw new LockerUnavailable({ cause: error })
    }
  }

  #onMessage(text: string): void {
    let message: Message
    try {
      message = JSON.parse(text) as Message
    } catch {
      return
    }
    this.#deliver(message)
  }

  #deliver(message: Message): void {
    if (message.type === 'granted') {
      const waiter = this.#waiters.get(message.token)
      // A waiter that gave up passes on the grant itself (LEAVE sees it holds the lock).
      if (waiter === undefined || waiter.done) return
      clearTimeout(waiter.timer)
      this.#step(waiter, () => this.#confirm(waiter, message.fence, message.asked), true)
      return
    }
    const holding = this.#holdings.get(message.token)
    if (holding === undefined) return
    // A request that reaches a process paused past its lease finds the lock lost, not merely asked for.
    holding.lease?.check()
    abortOnce(holding.controller, message.type === 'stop' ? new StopRequested(message.details ?? {}) : new ReleaseRequested())
  }

  #run(name: Parameters<RedisConnection['run']>[0], keys: readonly string[], args: readonly (string | number)[]): Promise<ScriptReply> {
    return this.#connection.run(name, keys, args)
  }

  #connectionFailed(error: unknown, connection: string): void {
    if (this.#unreachable || this.#closing !== undefined) return
    this.#unreachable = true
    this.#onWarning('Redis cannot be reached; requests that need a lock get 503 until it can', { err: error, connection, prefix: this.#keys.prefix })
  }

  #track<T>(work: Promise<T>): void {
    const tracked = work.catch((error: unknown) => this.#onWarning('lock bookkeeping in Redis failed', { err: error }))
    this.#pending.add(tracked)
    void tracked.finally(() => this.#pending.delete(tracked))
  }

  async #settlePending(): Promise<void> {
    while (this.#pending.size > 0) await Promise.allSettled([...this.#pending])
  }
}

function abortOnce(controller: AbortController, reason: unknown): void {
  if (!controller.signal.aborted) controller.abort(reason)
}
