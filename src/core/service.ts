import type { Lock, Locker } from '../lock/locker.js'
import { mergeAnswers, type Answer } from '../model/answer.js'
import { LengthExceeded, NotSupported, UploadExpired, UploadIncomplete, UploadNotFound } from '../model/errors.js'
import { ShutdownRequested } from '../model/stop-reasons.js'
import { isComplete, isPendingFinal, type ByteRange, type Upload } from '../model/upload.js'
import type { Store, StoreCapabilities, StoredUpload } from '../store/store.js'
import { acquireLock } from './acquire-lock.js'
import { Appender, checkMaxSize } from './append.js'
import type { AppendCommand, CreateCommand, ReadResult, RequestContext, WriteResult } from './commands.js'
import { Concatenation, type PartialLocking } from './concatenation.js'
import { UploadEvents } from './events.js'
import { expires, type ExpirationPolicy } from './expiry/expiration.js'
import { UploadExpiry } from './expiry/upload-expiry.js'
import type { AccessAction, UploadHooks } from './hooks.js'
import { UploadMachine } from './machine.js'
import { newUploadId } from './upload-id.js'

export type { AppendCommand, CreateCommand, ReadResult, RequestContext, WriteResult } from './commands.js'

export interface ServiceOptions {
  readonly store: Store
  readonly locker: Locker
  /** The blocking hooks (pre-access, pre-create, pre-finish, pre-terminate); none by default. */
  readonly hooks?: UploadHooks
  /** Where lifecycle events go; a fresh bus by default (`service.events`). */
  readonly events?: UploadEvents
  /** Largest upload accepted, in bytes; 0 means no limit (the store's own limit applies anyway). */
  readonly maxSize: number
  /** How long a request waits for an upload's lock before giving up. */
  readonly acquireLockTimeoutMs: number
  /** How long a body may send nothing before it is stopped (its bytes kept); 0 turns it off. */
  readonly networkTimeoutMs: number
  /** How often `progress` is reported while a body streams (default 1 s; 0 never). */
  readonly progressIntervalMs?: number
  /** When uploads expire (tus `expiration`); undefined: never. Needs a store with `expire` and `terminate`. */
  readonly expiration?: ExpirationPolicy
  /** How many expired uploads are remembered, to answer "expired" rather than "not found" (default 10,000). */
  readonly expiredUploadsRemembered?: number
  /** The most partial uploads one final upload may name (default 128). */
  readonly maxPartials?: number
  /** Receives the errors of work done in the background (completing final uploads); must not throw. */
  readonly onBackgroundError?: (error: unknown, task: string) => void
}

/** For store calls made without a lock (a new upload nobody knows yet): nothing can be lost. */
const NEVER = new AbortController().signal

/** How a request takes an upload's lock; see `AcquireOptions`. */
type LockOptions = { readonly requestRelease?: boolean; readonly wait?: boolean }

/** What the service offers, for each protocol's discovery (one source of truth). */
export interface ServiceFeatures {
  readonly capabilities: StoreCapabilities
  /** The largest upload, in bytes, the gateway's and the store's limit together; 0 means none. */
  readonly maxSize: number
  readonly expiration: ExpirationPolicy | undefined
}

/**
 * The upload operations every protocol maps onto: a thin facade that checks access, takes the upload's
 * lock, opens it in the store once, and hands it to the append algorithm or the state machine. It knows
 * no header or status.
 */
export class UploadService {
  readonly events: UploadEvents
  readonly features: ServiceFeatures
  readonly #options: ServiceOptions
  readonly #machine: UploadMachine
  readonly #appender: Appender
  readonly #concatenation: Concatenation
  readonly #expiry: UploadExpiry
  readonly #hooks: UploadHooks
  /** Work started in the background (completing final uploads), awaited by `close`. */
  readonly #background = new Set<Promise<void>>()
  readonly #closed = new AbortController()

  /** Throws NotSupported when `expiration` asks for what the store cannot do, TypeError when the store contradicts itself. */
  constructor(options: ServiceOptions) {
    const { store, expiration } = options
    const { capabilities } = store
    if (expires(expiration) && !(capabilities.expire && capabilities.terminate)) throw new NotSupported('expiration')
    if (capabilities.expire !== (typeof store.list === 'function')) throw new TypeError('a store that lets uploads expire must list them, and only then')
    this.#options = options
    this.#hooks = options.hooks ?? {}
    this.events = options.events ?? new UploadEvents()
    const maxSize = Math.min(options.maxSize || Infinity, capabilities.maxSize || Infinity)
    this.features = { capabilities, maxSize: Number.isFinite(maxSize) ? maxSize : 0, expiration: expires(expiration) ? expiration : undefined }
    this.#machine = new UploadMachine({
      store,
      hooks: this.#hooks,
      events: this.events,
      onAwaitedPartialFinished: (finals) => {
        for (const id of finals) void this.#settleInBackground(id)
      },
    })
    this.#appender = new Appender({
      machine: this.#machine,
      maxSize: this.features.maxSize,
      canRollBack: capabilities.rollBack,
      networkTimeoutMs: options.networkTimeoutMs,
      progressIntervalMs: options.progressIntervalMs ?? 1000,
    })
    const lock = (id: string, context: RequestContext, locking: PartialLocking): Promise<Lock> =>
      locking === 'now'
        ? this.#lock(id, context, { requestRelease: false, wait: false })
        : // Waits as long as the partial upload is in use (a PATCH may take hours), until shutdown.
          acquireLock(options.locker, id, { signal: context.signal, timeoutMs: 2 ** 31 - 1, requestRelease: false })
    this.#concatenation = new Concatenation({ machine: this.#machine, lock, maxSize: this.features.maxSize, maxPartials: options.maxPartials ?? 128 })
    this.#expiry = new UploadExpiry(expiration, this.#concatenation, options.expiredUploadsRemembered ?? 10_000)
  }

  /** Whether `id` can name an upload of the store (anything else is unknown, never a path). */
  isValidId(id: string): boolean {
    return this.#options.store.isValidId(id)
  }

  /** Creates an upload, and appends the body if one came with the request. Throws MaxSizeExceeded, HookRejected and append's errors. */
  async create(command: CreateCommand, context: RequestContext): Promise<WriteResult> {
    await this.#preAccess('create', undefined, context)
    const { capabilities } = this.features
    if (command.concat !== undefined && !capabilities.concat) throw new NotSupported('concatenation')
    const final = command.concat?.kind === 'final' ? command.concat : undefined
    if (final !== undefined && (command.body !== undefined || command.length !== undefined)) {
      throw new TypeError('a final upload takes neither a body nor a length: both come from its partial uploads')
    }
    const length = final === undefined ? command.length : await this.#concatenation.finalLength(final.partials, context.signal)
    if (length !== undefined) checkMaxSize(length, this.features.maxSize)
    else if (!capabilities.deferLength) throw new NotSupported('deferred lengths')
    if (command.bodySize !== undefined && length !== undefined && command.bodySize > length) throw new LengthExceeded(length)
    const init = { id: newUploadId(), length, metadata: command.metadata, concat: command.concat, digests: command.digests }
    const { handle, answer } = await this.#machine.create(init, context)
    const fill = async (lock: Lock | undefined): Promise<WriteResult> => {
      try {
        return await this.#fill(handle, command, context, lock)
      } catch (error) {
        if (command.removeOnFailure === true) await this.#machine.terminate(handle, context, lock?.lost ?? NEVER, { hook: false }).catch(() => undefined)
        throw error
      }
    }
    // Nobody knows the new upload's id yet, so its lock is free: taken before the id is announced (a draft
    // 104 announces it while the body still streams), the body goes straight into the state just created. A
    // final upload is locked against its own completion in the background; an empty upload needs no lock.
    const locked = command.body !== undefined || final !== undefined
    const result = locked ? await this.#withLock(handle.state.id, context, fill) : await fill(undefined)
    return { ...result, answer: mergeAnswers(answer, result.answer) }
  }

  /** Appends a body at the client's offset; see `Appender.append` for what it throws. */
  async append(id: string, command: AppendCommand, context: RequestContext): Promise<WriteResult> {
    await this.#preAccess('append', id, context)
    return this.#withLock(id, context, async (lock) => {
      const result = await this.#appender.append(await this.#open(id, context), command, context, lock)
      return { ...result, upload: await this.#annotate(result.upload, context) }
    })
  }

  /**
   * The current state of an upload, read while holding its lock (so a running append stops first). A
   * pending final upload is first brought as far as its partial uploads allow (it may complete here).
   * Throws UploadNotFound, UploadExpired, and MaxSizeExceeded for a final upload whose partial uploads add
   * up to more than the maximum size.
   */
  async status(id: string, context: RequestContext): Promise<Upload> {
    await this.#preAccess('status', id, context)
    return this.#withLock(id, context, async (lock) => this.#annotate((await this.#settled(id, context, lock, 'now')).state, context))
  }

  /**
   * The upload's stored state read without its lock, or undefined if it cannot be read. For answers
   * that report the state after a request failed: waiting for the lock there would stop the request
   * that holds it now. It may lag a request running on the upload.
   */
  async peek(id: string): Promise<Upload | undefined> {
    return this.#machine.open(id, this.#closed.signal).then((handle) => handle.state, () => undefined)
  }

  /** Removes an upload; a running append is asked to stop first. Returns pre-terminate's answer. Throws UploadNotFound, NotSupported, HookRejected. */
  async terminate(id: string, context: RequestContext): Promise<Answer | undefined> {
    if (!this.features.capabilities.terminate) throw new NotSupported('termination')
    await this.#preAccess('terminate', id, context)
    return this.#withLock(id, context, async (lock) => this.#machine.terminate(await this.#open(id, context), context, lock.lost))
  }

  /**
   * Opens a finished upload for reading; `selectRange` picks the bytes from the upload's size (it may throw
   * to refuse). The lock is held only while checking the state: a finished upload does not change, so a
   * long download never blocks other requests. Throws UploadNotFound, UploadIncomplete, NotSupported.
   */
  async read(id: string, selectRange: (size: number) => ByteRange | undefined, context: RequestContext): Promise<ReadResult> {
    if (!this.features.capabilities.read) throw new NotSupported('downloads')
    await this.#preAccess('read', id, context)
    const handle = await this.#withLock(id, context, (lock) => this.#settled(id, context, lock, 'now'))
    const upload = handle.state
    if (!isComplete(upload)) throw new UploadIncomplete(upload.offset, upload.length)
    const range = selectRange(upload.offset)
    return { upload, range, stream: await (handle.read as NonNullable<StoredUpload['read']>)(range, context.signal) }
  }

  /**
   * Removes the upload if it has expired, and returns its last state then (undefined otherwise: not expired,
   * or gone). It is first checked without its lock; one that looks expired is checked again under its lock,
   * waited for without asking a request using it to stop (an upload in use is not abandoned). For the
   * expiration sweeper; throws LockTimeout, and `signal`'s reason when it aborts the wait.
   */
  async expire(id: string, signal: AbortSignal): Promise<Upload | undefined> {
    const looked = await this.peek(id)
    if (looked === undefined || !(await this.#expiry.hasExpired(looked, signal))) return undefined
    return this.#withLock(id, { signal }, async () => {
      const handle = await this.#machine.open(id, signal).catch(() => undefined)
      if (handle === undefined || !(await this.#expiry.hasExpired(handle.state, signal))) return undefined
      await this.#machine.expire(handle, signal)
      this.#expiry.remember(id)
      return handle.state
    }, { requestRelease: false })
  }

  /** Every upload id in the store, read lazily (nothing when the store cannot list). */
  async *uploadIds(signal: AbortSignal): AsyncGenerator<string> {
    const { store } = this.#options
    if (store.list !== undefined) yield* store.list(signal)
  }

  /** Removes what crashes of the store left behind (see `Store.sweepLeftovers`); resolves with the bytes freed. */
  async sweepLeftovers(signal: AbortSignal): Promise<number> {
    return (await this.#options.store.sweepLeftovers?.(signal)) ?? 0
  }

  /**
   * Completes, in the background, final uploads left pending by an earlier run whose partial uploads are all
   * finished (a crash came between). Resolves once the store has been listed. A no-op without concatenation.
   */
  async start(): Promise<void> {
    if (!this.features.capabilities.concat) return
    for await (const id of this.uploadIds(this.#closed.signal)) {
      if (this.#closed.signal.aborted) return
      const upload = await this.peek(id)
      if (upload !== undefined && isPendingFinal(upload)) void this.#settleInBackground(id)
    }
  }

  /** Stops work in the background and waits for it to end. */
  async close(): Promise<void> {
    this.#closed.abort(new ShutdownRequested())
    await Promise.allSettled([...this.#background])
  }

  /** A new upload's first state: completion pending or finished, and its body appended. */
  async #fill(handle: StoredUpload, command: CreateCommand, context: RequestContext, lock: Lock | undefined): Promise<WriteResult> {
    const lost = lock?.lost ?? NEVER
    // An empty upload whose client says more follows is not complete (draft R-14): it waits for a request saying so.
    if (handle.state.length === 0 && command.complete === false) await this.#machine.setCompletionPending(handle, true, lost)
    command.onCreated?.(handle.state)
    if (command.body === undefined) {
      if (handle.state.concat?.kind === 'final') {
        // Its partial uploads learn of it now; one in use (receiving its bytes) is left to the background.
        const { partials } = handle.state.concat
        const busy = await this.#concatenation.markAwaited(handle.state, partials, context, 'now')
        const answer = await this.#concatenation.settle(handle, context, 'now')
        const final = handle.state
        if (busy.length > 0) {
          void this.#inBackground(`mark the partial uploads of final upload ${final.id}`, async () => {
            await this.#concatenation.markAwaited(final, busy, { signal: this.#closed.signal }, 'politely')
            await this.#settleInBackground(final.id)
          })
        }
        return { upload: await this.#annotate(final, context), answer }
      }
      const answer = isComplete(handle.state) ? await this.#machine.finish(handle, context, lost, command.completionCheck) : undefined
      return { upload: await this.#annotate(handle.state, context), answer }
    }
    if (lock === undefined) throw new TypeError('a body is appended under the upload lock')
    const result = await this.#appender.append(handle, { ...command, offset: 0, length: undefined, body: command.body }, context, lock)
    return { upload: await this.#annotate(result.upload, context), answer: result.answer }
  }

  /** Opens an upload under its lock, settles a pending final upload, and finishes one a crash left unfinished. */
  async #settled(id: string, context: RequestContext, lock: Lock, locking: PartialLocking): Promise<StoredUpload> {
    const handle = await this.#open(id, context)
    if (isPendingFinal(handle.state)) await this.#concatenation.settle(handle, context, locking)
    else if (isComplete(handle.state) && !handle.finished) await this.#machine.finish(handle, context, lock.lost)
    return handle
  }

  /**
   * Opens an upload; the caller holds its lock. An upload found expired is removed on the spot, so that no
   * request can use it between its expiry and the next sweep. Throws UploadNotFound, UploadExpired (also for
   * an upload removed earlier, while it is remembered).
   */
  async #open(id: string, context: RequestContext): Promise<StoredUpload> {
    let handle: StoredUpload
    try {
      handle = await this.#machine.open(id, context.signal)
    } catch (error) {
      if (error instanceof UploadNotFound && this.#expiry.wasRemoved(id)) throw new UploadExpired(id)
      throw error
    }
    if (await this.#expiry.hasExpired(handle.state, context.signal)) {
      await this.#machine.expire(handle, context.signal)
      this.#expiry.remember(id)
      throw new UploadExpired(id)
    }
    return handle
  }

  /** Pre-access, for requests (the gateway's own work is not asked about): it sees the upload as stored, before any lock is asked for. */
  async #preAccess(action: AccessAction, id: string | undefined, context: RequestContext): Promise<void> {
    const { preAccess } = this.#hooks
    if (preAccess === undefined || context.request === undefined) return
    const upload = id === undefined ? undefined : await this.peek(id)
    await preAccess({ action, upload, request: context.request, signal: context.signal })
  }

  /** Brings a pending final upload as far as its partial uploads allow, waiting for them politely, in the background. */
  #settleInBackground(id: string): Promise<void> {
    const context = { signal: this.#closed.signal }
    return this.#inBackground(`complete final upload ${id}`, () => this.#withLock(id, context, (lock) => this.#settled(id, context, lock, 'politely')))
  }

  #annotate(upload: Upload, context: RequestContext): Promise<Upload> {
    return this.#expiry.annotate(upload, context.signal)
  }

  async #withLock<T>(id: string, context: RequestContext, work: (lock: Lock) => Promise<T>, options: LockOptions = {}): Promise<T> {
    const lock = await this.#lock(id, context, options)
    try {
      return await work(lock)
    } finally {
      await lock.release()
    }
  }

  #lock(id: string, context: RequestContext, options: LockOptions = {}): Promise<Lock> {
    const { locker, acquireLockTimeoutMs } = this.#options
    return acquireLock(locker, id, { signal: context.signal, timeoutMs: acquireLockTimeoutMs, ...options })
  }

  /** Runs `work` in the background, tracked until `close`; resolves when it is done (never rejects: errors are reported). */
  #inBackground(task: string, work: () => Promise<unknown>): Promise<void> {
    const running: Promise<void> = work()
      .then(
        () => undefined,
        (error: unknown) => {
          if (!this.#closed.signal.aborted) this.#options.onBackgroundError?.(error, task)
        },
      )
      .finally(() => this.#background.delete(running))
    this.#background.add(running)
    return running
  }
}
