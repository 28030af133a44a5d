import { randomBytes } from 'node:crypto'
import { resolve } from 'node:path'
import { LockBusy, LockerUnavailable } from '../../model/errors.js'
import { makeDirectory } from '../../model/make-directory.js'
import { LockLoss, ReleaseRequested, ShutdownRequested, StopRequested } from '../../model/stop-reasons.js'
import type { AcquireOptions, Lock, Locker } from '../locker.js'
import { DirectoryEvents } from './directory-events.js'
import { createExclusive, readIfThere, removeIfThere, replaceAtomically } from './file-ops.js'
import { Orphans } from './orphans.js'
import { RequestFiles } from './request-files.js'
import { formatLock, LockFiles, parseLock, type LockRecord } from './lock-files.js'
import { fenceNow, liveness, self, type ProcessIdentity } from './process-identity.js'
import { removeStaleLock } from './stale-lock.js'
import { WaitLine, type Ticket } from './wait-line.js'

export interface FileLockerOptions {
  /** The directory of the lock files: the upload directory, so that they lie next to the uploads as tusd's do. Created if missing. */
  readonly directory: string
  /** Most requests, of every process, that may wait for one upload (default 64); the next is refused with `LockBusy`. */
  readonly maxWaiters?: number
  /**
   * How often a waiting request checks the lock again on its own (default 1 s), for what no file event
   * tells: a holder that died (kill -9 leaves its lock file), or events the kernel dropped.
   */
  readonly recheckMs?: number
  /** Receives what an operator should know (a lock held from another PID namespace, a watcher that failed); must not throw. */
  readonly onWarning?: (message: string, details: Record<string, unknown>) => void
}

interface Holding {
  readonly id: string
  readonly record: LockRecord
  readonly controller: AbortController
  readonly lost: AbortController
  released: boolean
}

interface Waiting {
  readonly id: string
  readonly token: string
  readonly requestRelease: boolean
  readonly signal: AbortSignal
  readonly resolve: (lock: Lock) => void
  readonly reject: (reason: unknown) => void
  readonly onAbort: () => void
  readonly ticket: Ticket
  /** The holder this waiter has asked to release already. */
  askedToken: string | undefined
  /** A holder found alive: looks after an event take it for alive, the timer's looks check again (a holder that died). */
  aliveToken: string | undefined
  done: boolean
}

/**
 * Locks shared by the processes of one host through files in the upload directory (`--locker file`),
 * laid out as `lock-files.ts` describes: `<id>.lock` is tusd's lock file, so tusd and the gateway can
 * share a directory.
 *
 * Events, not polling: every process watches the directory (inotify). A waiter joins the id's waiting
 * line and, unless polite, writes `<id>.stop` naming the holder; the holder's process sees it and aborts
 * the holder's signal. A holder that lets go hands the lock straight to the first live ticket of the line
 * by renaming a new lock file over its own (the lock is never free in between, so nobody jumps the
 * line), with a fence one higher and `asked` set when others behind it want the lock: the waiter's
 * process sees the change and grants. With nobody in line the lock file is removed. Waiters also check
 * every `recheckMs` on their own, for holders that died and events the kernel dropped. The file calls
 * are synchronous (`file-ops.ts` says why): the locker is for a local directory.
 *
 * A lock file whose holder died (same host and PID namespace; pid gone, zombie, or reused by a process
 * started later) is removed safely (`stale-lock.ts`) and the lock taken over at once. A lock held from
 * another PID namespace cannot be checked and is respected. A lock file removed or replaced behind its
 * holder's back (an operator, a rogue process) aborts the holder with `LockLoss`.
 *
 * FIFO: in arrival order on the host's monotonic clock; a request that arrives at the very moment a lock
 * falls free with nobody in line may go first. File system errors become `LockerUnavailable`.
 */
export class FileLocker implements Locker {
  readonly #files: LockFiles
  readonly #line: WaitLine
  readonly #requests: RequestFiles
  readonly #events: DirectoryEvents
  readonly #maxWaiters: number
  readonly #recheckMs: number
  readonly #onWarning: (message: string, details: Record<string, unknown>) => void
  readonly #instance = randomBytes(6).toString('hex')
  #counter = 0
  readonly #held = new Map<string, Holding>()
  readonly #waiters = new Map<string, Waiting>()
  readonly #orphans = new Orphans()
  readonly #warned = new Set<string>()
  #timer: NodeJS.Timeout | undefined
  #closed = false

  /** Use `FileLocker.open`, which creates the directory first. Throws RangeError for a bad option. */
  constructor(options: FileLockerOptions) {
    const maxWaiters = options.maxWaiters ?? 64
    if (!(maxWaiters >= 0 && (Number.isInteger(maxWaiters) || maxWaiters === Infinity))) {
      throw new RangeError(`maxWaiters must be a whole number >= 0, got ${maxWaiters}`)
    }
    const recheckMs = options.recheckMs ?? 1000
    if (!(Number.isFinite(recheckMs) && recheckMs > 0)) throw new RangeError(`recheckMs must be > 0, got ${recheckMs}`)
    this.#maxWaiters = maxWaiters
    this.#recheckMs = recheckMs
    this.#onWarning = options.onWarning ?? (() => {})
    this.#files = new LockFiles(resolve(options.directory))
    this.#line = new WaitLine(this.#files)
    this.#requests = new RequestFiles(this.#files)
    this.#events = new DirectoryEvents(this.#files.directory, (name) => this.#onChange(name), (error) =>
      this.#onWarning('watching the lock directory failed; set up again', { err: error, directory: this.#files.directory }),
    )
  }

  /** Creates the directory if missing and starts watching it. Throws file system errors (see `makeDirectory`). */
  static async open(options: FileLockerOptions): Promise<FileLocker> {
    const locker = new FileLocker(options)
    await makeDirectory(locker.#files.directory)
    locker.#events.ensure()
    return locker
  }

  /**
   * Resolves with the lock of `id` once it is free or handed over. Rejects with `signal.reason` when the
   * signal aborts first, `LockBusy` (with `wait: false` when held, or past `maxWaiters`), `ShutdownRequested`
   * once closed, `LockerUnavailable` when the lock files cannot be read or written.
   */
  async acquire(id: string, options: AcquireOptions): Promise<Lock> {
    if (this.#closed) throw new ShutdownRequested()
    const { signal } = options
    signal.throwIfAborted()
    const token = `${this.#instance}-${(++this.#counter).toString(36)}`
    let holder: LockRecord | undefined
    let ticket: Ticket
    try {
      this.#events.ensure()
      while (holder === undefined) {
        const record: LockRecord = { token, fence: fenceNow(), holder: self, asked: false }
        if (createExclusive(this.#files.lock(id), formatLock(record))) return this.#grant(id, record)
        const current = this.#readLock(id)
        if (current === undefined) continue
        const state = this.#holderState(id, current)
        if (state === 'alive' || state === 'busy') holder = current
      }
      const waiting = this.#waiting(id).length
      if (options.wait === false || waiting >= this.#maxWaiters) throw new LockBusy(id, waiting)
      ticket = this.#line.join(id, token, options.requestRelease ?? true, self)
    } catch (error) {
      throw unavailable(error)
    }
    return new Promise<Lock>((resolveLock, reject) => {
      const waiter: Waiting = {
        id,
        token,
        requestRelease: options.requestRelease ?? true,
        signal,
        resolve: resolveLock,
        reject,
        onAbort: () => this.#giveUp(waiter, signal.reason),
        ticket,
        askedToken: undefined,
        aliveToken: holder.token,
        done: false,
      }
      this.#waiters.set(token, waiter)
      signal.addEventListener('abort', waiter.onAbort, { once: true })
      this.#updateTimer()
      this.#check(waiter)
    })
  }

  /** Aborts the signal of the holder of `id`, in whichever process, with `reason`; a no-op when nobody holds it. Throws `LockerUnavailable`. */
  async requestStop(id: string, reason: StopRequested): Promise<void> {
    try {
      const current = this.#readLock(id)
      if (current === undefined) return
      const local = this.#held.get(id)
      if (local?.record.token === current.token) {
        abortOnce(local.controller, reason)
        return
      }
      if (liveness(current.holder) === 'dead') return
      this.#requests.askStop(id, current.token, reason.details)
    } catch (error) {
      throw unavailable(error)
    }
  }

  /**
   * Rejects every waiter of this process with `ShutdownRequested` and takes its tickets out of line,
   * aborts every holder's signal with it, then releases (hands over) what is still held and stops
   * watching. Later releases are no-ops, later acquires reject. Safe to call twice.
   */
  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    const reason = new ShutdownRequested()
    const waiters = [...this.#waiters.values()]
    // The tickets first: a holder that lets go the moment it is told must find nobody of ours in line.
    for (const waiter of waiters) this.#stopWaiting(waiter)
    for (const holding of this.#held.values()) abortOnce(holding.controller, reason)
    for (const holding of [...this.#held.values()]) this.#release(holding)
    for (const id of this.#orphans.ids()) this.#safely(() => this.#checkOrphans(id))
    this.#events.close()
    this.#updateTimer()
    for (const waiter of waiters) waiter.reject(reason)
  }

  /** Registers a grant of this process and returns its lock. */
  #grant(id: string, record: LockRecord): Lock {
    const holding: Holding = { id, record, controller: new AbortController(), lost: new AbortController(), released: false }
    this.#held.set(id, holding)
    this.#updateTimer()
    if (record.asked) abortOnce(holding.controller, new ReleaseRequested())
    // Requests written before this process knew it holds the lock raised their events too early.
    this.#safely(() => this.#checkRequests(holding))
    return { signal: holding.controller.signal, lost: holding.lost.signal, fence: record.fence, release: async () => this.#release(holding) }
  }

  #release(holding: Holding): void {
    if (holding.released) return
    holding.released = true
    if (this.#held.get(holding.id) === holding) this.#held.delete(holding.id)
    this.#updateTimer()
    try {
      this.#handOver(holding)
    } catch (error) {
      this.#onWarning('could not release a lock; it stays held until this process ends', { err: error, uploadId: holding.id })
    }
  }

  /** Passes the lock to the first live ticket in line, or removes the lock file when nobody waits. */
  #handOver(holding: Holding): void {
    const { id, record } = holding
    const path = this.#files.lock(id)
    if (this.#readLock(id)?.token !== record.token) return
    // The requests to this holder are answered; the next one must not find them (it could be tusd).
    removeIfThere(this.#files.releaseRequest(id))
    removeIfThere(this.#files.stopRequest(id))
    const next = this.#nextInLine(id, record.token)
    if (next === undefined) {
      removeIfThere(path)
      return
    }
    const fence = Math.max(record.fence + 1, fenceNow())
    replaceAtomically(path, formatLock({ token: next.ticket.token, fence, holder: next.holder, asked: next.othersAsk }))
    const local = this.#waiters.get(next.ticket.token)
    if (local !== undefined) this.#check(local)
  }

  /** The first ticket of `id`'s line whose request still waits, skipping (and removing) those of dead processes. */
  #nextInLine(id: string, ownToken: string): { ticket: Ticket; holder: ProcessIdentity; othersAsk: boolean } | undefined {
    const tickets = this.#line.tickets(id).filter((ticket) => ticket.token !== ownToken && this.#mayWait(ticket))
    for (const [index, ticket] of tickets.entries()) {
      const local = this.#waiters.get(ticket.token)
      const holder = local !== undefined ? self : this.#line.holder(id, ticket)
      if (holder === undefined) continue
      if (local === undefined && liveness(holder) === 'dead') {
        this.#line.leave(id, ticket)
        continue
      }
      return { ticket, holder, othersAsk: tickets.slice(index + 1).some((behind) => behind.requestRelease) }
    }
    return undefined
  }

  /** False for a ticket of this process whose request no longer waits (it is leaving the line). */
  #mayWait(ticket: Ticket): boolean {
    if (!ticket.token.startsWith(`${this.#instance}-`)) return true
    const waiter = this.#waiters.get(ticket.token)
    return waiter !== undefined && !waiter.done
  }

  /** Tickets of requests that wait for `id` now, in every process. */
  #waiting(id: string): Ticket[] {
    return this.#line.tickets(id).filter((ticket) => this.#mayWait(ticket))
  }

  /** Looks at the lock on behalf of `waiter`; a failure to read the files rejects it. */
  #check(waiter: Waiting): void {
    if (waiter.done) return
    try {
      this.#look(waiter)
    } catch (error) {
      this.#giveUp(waiter, unavailable(error))
    }
  }

  #look(waiter: Waiting): void {
    const { id, token } = waiter
    for (;;) {
      const current = this.#readLock(id)
      if (current?.token === token) {
        // Granted first: a waiter that stops waiting passes on a lock it holds without knowing it.
        const lock = this.#grant(id, current)
        this.#stopWaiting(waiter)
        waiter.resolve(lock)
        return
      }
      if (current === undefined) {
        const place = this.#place(waiter)
        if (place === undefined) return
        // Taken or not, the next look tells: ours, or someone else's.
        createExclusive(this.#files.lock(id), formatLock({ token, fence: fenceNow(), holder: self, asked: place.othersAsk }))
        continue
      }
      const state = waiter.aliveToken === current.token ? 'alive' : this.#holderState(id, current)
      if (state === 'removed' || state === 'gone') continue
      if (state === 'busy') return
      waiter.aliveToken = current.token
      // A holder handed the lock with `asked` set was asked by its grant already.
      if (waiter.requestRelease && waiter.askedToken !== current.token && !current.asked) {
        waiter.askedToken = current.token
        this.#askRelease(id, current)
      }
      return
    }
  }

  /** Whether `waiter` is first in line (dead processes' tickets skipped), and whether anyone behind it asks for the lock. */
  #place(waiter: Waiting): { othersAsk: boolean } | undefined {
    const tickets = this.#waiting(waiter.id)
    for (const [index, ticket] of tickets.entries()) {
      if (ticket.token === waiter.token) return { othersAsk: tickets.slice(index + 1).some((behind) => behind.requestRelease) }
      if (this.#waiters.has(ticket.token)) return undefined
      const holder = this.#line.holder(waiter.id, ticket)
      if (holder !== undefined && liveness(holder) !== 'dead') return undefined
      this.#line.leave(waiter.id, ticket)
    }
    return undefined
  }

  /** What to make of a lock held by someone else: alive, or, if its holder died, removed (or being removed by another process). */
  #holderState(id: string, current: LockRecord): 'alive' | 'removed' | 'gone' | 'busy' {
    if (this.#held.get(id)?.record.token === current.token) return 'alive'
    const state = liveness(current.holder)
    if (state === 'alive') return 'alive'
    if (state === 'unknown') {
      if (!this.#warned.has(current.token)) {
        this.#warned.add(current.token)
        this.#onWarning('an upload is locked by a process in another PID namespace; its lock is respected, whether that process runs or not', {
          uploadId: id,
          pid: current.holder.pid,
        })
      }
      return 'alive'
    }
    return removeStaleLock(this.#files.lock(id), current)
  }

  #askRelease(id: string, current: LockRecord): void {
    const local = this.#held.get(id)
    if (local?.record.token === current.token) abortOnce(local.controller, new ReleaseRequested())
    else this.#requests.askRelease(id, current.token)
  }

  /** Reads the release and stop requests for `holding`'s grant, and aborts its signal if there is one. */
  #checkRequests(holding: Holding): void {
    const { id, record, controller } = holding
    if (holding.released || controller.signal.aborted) return
    if (this.#requests.releaseAsked(id, record.token)) abortOnce(controller, new ReleaseRequested())
    const stop = this.#requests.stopAsked(id, record.token)
    if (stop !== undefined) abortOnce(controller, new StopRequested(stop))
  }

  /** A lock file no longer this holder's while it holds it: someone removed or replaced it. */
  #checkStillHeld(holding: Holding): void {
    const current = this.#readLock(holding.id)
    if (holding.released || current?.token === holding.record.token) return
    if (this.#held.get(holding.id) === holding) this.#held.delete(holding.id)
    holding.released = true
    this.#updateTimer()
    const loss = new LockLoss(holding.id, { cause: new Error(current === undefined ? 'the lock file was removed' : 'the lock file was replaced') })
    abortOnce(holding.lost, loss)
    abortOnce(holding.controller, loss)
  }

  /** Stops waiting and rejects. */
  #giveUp(waiter: Waiting, reason: unknown): void {
    if (waiter.done) return
    this.#stopWaiting(waiter)
    waiter.reject(reason)
  }

  /** Takes a waiter out of line; one that was handed the lock meanwhile passes it on (now, or when its holder hands over). */
  #stopWaiting(waiter: Waiting): void {
    if (waiter.done) return
    waiter.done = true
    waiter.signal.removeEventListener('abort', waiter.onAbort)
    this.#waiters.delete(waiter.token)
    this.#safely(() => {
      this.#line.leave(waiter.id, waiter.ticket)
      if (this.#held.get(waiter.id)?.record.token === waiter.token) return
      const current = this.#readLock(waiter.id)
      if (current?.token === waiter.token) this.#release(this.#adopt(waiter.id, current))
      // Only a holder can hand the lock over: with none, nobody will.
      else if (current !== undefined) this.#orphans.add(waiter.id, waiter.token, current.token)
    })
    this.#updateTimer()
  }

  /** Passes on a lock handed to a waiter that had given up. */
  #checkOrphans(id: string): void {
    const current = this.#readLock(id)
    const handed = this.#orphans.handedTo(id, current?.token)
    this.#updateTimer()
    if (handed && current !== undefined) this.#release(this.#adopt(id, current))
  }

  /** A holding for a grant this process did not ask for any more, so that it can be released like any other. */
  #adopt(id: string, record: LockRecord): Holding {
    return { id, record, controller: new AbortController(), lost: new AbortController(), released: false }
  }

  #onChange(name: string | null): void {
    const change = name === null ? undefined : LockFiles.concerns(name)
    if (name !== null && change === undefined) return
    const ids = change === undefined ? this.#interestingIds() : [change.id]
    for (const id of ids) {
      const holding = this.#held.get(id)
      if (change === undefined || change.kind === 'lock') {
        for (const waiter of [...this.#waiters.values()]) if (waiter.id === id) this.#check(waiter)
        if (holding !== undefined) this.#safely(() => this.#checkStillHeld(holding))
        if (this.#orphans.has(id)) this.#safely(() => this.#checkOrphans(id))
      }
      if (holding !== undefined && (change === undefined || change.kind !== 'lock')) this.#safely(() => this.#checkRequests(holding))
    }
  }

  #interestingIds(): string[] {
    return [...new Set([...this.#held.keys(), ...[...this.#waiters.values()].map((waiter) => waiter.id), ...this.#orphans.ids()])]
  }

  /** The bounded re-check: waiters look again (and ask their holder again), orphans are checked, a failed watcher is set up again. */
  #recheck(): void {
    try {
      this.#events.ensure()
    } catch (error) {
      this.#onWarning('cannot watch the lock directory; waiters re-check on their timer only', { err: error, directory: this.#files.directory })
    }
    for (const waiter of [...this.#waiters.values()]) {
      waiter.askedToken = undefined
      waiter.aliveToken = undefined
      this.#check(waiter)
    }
    for (const id of this.#orphans.ids()) this.#safely(() => this.#checkOrphans(id))
  }

  /**
   * Runs the re-check timer while someone waits (or may still be handed a lock it gave up), never
   * otherwise; the directory's events keep the process alive while anything is waited for or held.
   */
  #updateTimer(): void {
    this.#events.setBusy(!this.#closed && (this.#waiters.size > 0 || this.#orphans.size > 0 || this.#held.size > 0))
    const needed = !this.#closed && (this.#waiters.size > 0 || this.#orphans.size > 0)
    if (needed && this.#timer === undefined) {
      this.#timer = setInterval(() => this.#recheck(), this.#recheckMs)
      this.#timer.unref()
    } else if (!needed && this.#timer !== undefined) {
      clearInterval(this.#timer)
      this.#timer = undefined
    }
  }

  #readLock(id: string): LockRecord | undefined {
    const text = readIfThere(this.#files.lock(id))
    if (text === undefined) return undefined
    // Not a lock file of anyone (no pid line): as tusd does, it counts as the lock of a dead process.
    return parseLock(text) ?? { token: 'invalid', fence: 0, holder: { pid: 0 }, asked: false }
  }

  /** Runs bookkeeping whose failure must not fail anyone's request: it becomes a warning (the re-check makes up for it). */
  #safely(work: () => void): void {
    try {
      work()
    } catch (error) {
      this.#onWarning('lock bookkeeping failed', { err: error, directory: this.#files.directory })
    }
  }
}

function abortOnce(controller: AbortController, reason: unknown): void {
  if (!controller.signal.aborted) controller.abort(reason)
}

/** File system errors mean the locks cannot be used now; facts and abort reasons pass as they are. */
function unavailable(error: unknown): unknown {
  return (error as NodeJS.ErrnoException | undefined)?.syscall !== undefined ? new LockerUnavailable({ cause: error }) : error
}
