import type { Lock } from '../lock/locker.js'
import type { Answer } from '../model/answer.js'
import { NotSupported, PartialUploadAwaited, ShuttingDown, UploadExpired, UploadIncomplete, UploadNotFound } from '../model/errors.js'
import { ShutdownRequested, StopRequested, type StopDetails } from '../model/stop-reasons.js'
import { awaitsDelivery, isComplete, isPendingFinal, type ByteRange, type Upload } from '../model/upload.js'
import type { StoredUpload } from '../store/store.js'
import { Appender } from './append.js'
import { Background } from './background.js'
import type { AppendCommand, CreateCommand, ReadResult, RequestContext, WriteResult } from './commands.js'
import { Concatenation, type PartialLocking } from './concatenation.js'
import { Creation } from './creation.js'
import { UploadEvents } from './events.js'
import { expires } from './expiry/expiration.js'
import { ExpiredInMemory } from './expiry/expired-uploads.js'
import { UploadExpiry } from './expiry/upload-expiry.js'
import type { AccessAction, UploadHooks } from './hooks.js'
import { UploadMachine } from './machine.js'
import type { ServiceFeatures, ServiceOptions } from './service-options.js'
import { SharedReads } from './shared-reads.js'
import { UploadLocks } from './upload-locks.js'

export type { AppendCommand, CreateCommand, ReadResult, RequestContext, WriteResult } from './commands.js'
export type { ServiceFeatures, ServiceOptions } from './service-options.js'

const DEFAULT_MAX_FINAL_SIZE = 64 * 1024 ** 3

/** How `status` treats an upload that awaits its delivery (upstream mode). */
export interface StatusOptions {
  /**
   * Deliver it now, its target's answer discarded (after the `finished` event has it): for protocols whose
   * clients never complete an upload again once every byte is there (tus). Otherwise it is left to the next
   * request that completes it, which gets the answer.
   */
  readonly deliver?: boolean
}

/**
 * The upload operations every protocol maps onto: a thin facade that checks access, takes the upload's
 * lock, opens it in the store once, and hands it to the creation, the append algorithm or the state
 * machine. It knows no header or status.
 */
export class UploadService {
  readonly events: UploadEvents
  readonly features: ServiceFeatures
  readonly #options: ServiceOptions
  readonly #hooks: UploadHooks
  readonly #locks: UploadLocks
  readonly #background: Background
  readonly #machine: UploadMachine
  readonly #appender: Appender
  readonly #concatenation: Concatenation
  readonly #creation: Creation
  readonly #expiry: UploadExpiry
  readonly #statusReads = new SharedReads<Upload>()

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
    this.features = {
      capabilities,
      maxSize: Number.isFinite(maxSize) ? maxSize : 0,
      expiration: expires(expiration) ? expiration : undefined,
      delivery: options.delivery !== undefined,
    }
    this.#locks = new UploadLocks(options.locker, options.acquireLockTimeoutMs)
    this.#background = new Background(options.onBackgroundError)
    this.#machine = new UploadMachine({
      store,
      hooks: this.#hooks,
      events: this.events,
      delivery: options.delivery,
      onAwaitedPartialFinished: (finals) => finals.forEach((id) => void this.#settleInBackground(id)),
    })
    this.#appender = new Appender({
      machine: this.#machine,
      maxSize: this.features.maxSize,
      canRollBack: capabilities.rollBack,
      networkTimeoutMs: options.networkTimeoutMs,
      progressIntervalMs: options.progressIntervalMs ?? 1000,
    })
    // With no maximum size, a final upload is still bounded: naming a partial upload many times costs a client nothing.
    const maxFinalSize = this.features.maxSize > 0 ? this.features.maxSize : (options.maxFinalSize ?? DEFAULT_MAX_FINAL_SIZE)
    this.#concatenation = new Concatenation({
      machine: this.#machine,
      // A partial upload may be receiving its bytes: never ask it to stop. A request does not wait for it;
      // the background waits as long as it takes (a PATCH may last hours), until shutdown.
      lock: (id, context, locking) =>
        this.#locks.lock(id, context, locking === 'now' ? { requestRelease: false, wait: false } : { requestRelease: false, timeoutMs: 2 ** 31 - 1 }),
      maxSize: maxFinalSize,
      maxPartials: options.maxPartials ?? 128,
    })
    const expired = options.expiredUploads ?? new ExpiredInMemory(options.expiredUploadsRemembered ?? 10_000)
    this.#expiry = new UploadExpiry(expiration, this.#concatenation, expired)
    this.#creation = new Creation({
      machine: this.#machine,
      appender: this.#appender,
      concatenation: this.#concatenation,
      locks: this.#locks,
      background: this.#background,
      capabilities,
      maxSize: this.features.maxSize,
      canDeliver: this.features.delivery,
      annotate: (upload, context) => this.#annotate(upload, context),
      settleInBackground: (id) => this.#settleInBackground(id),
    })
  }

  /** Whether `id` can name an upload of the store (anything else is unknown, never a path). */
  isValidId(id: string): boolean {
    return this.#options.store.isValidId(id)
  }

  /** Creates an upload, and appends the body if one came with the request; see `Creation.create` for what it throws. */
  async create(command: CreateCommand, context: RequestContext): Promise<WriteResult> {
    await this.#preAccess('create', undefined, context)
    return this.#creation.create(command, context)
  }

  /** Appends a body at the client's offset; see `Appender.append` for what it throws. */
  async append(id: string, command: AppendCommand, context: RequestContext): Promise<WriteResult> {
    await this.#preAccess('append', id, context)
    return this.#locks.withLock(id, context, async (lock) => {
      const result = await this.#appender.append(await this.#open(id, context), command, context, lock)
      return { ...result, upload: await this.#annotate(result.upload, context) }
    })
  }

  /**
   * The current state of an upload, read while holding its lock (so a running append stops first). A
   * pending final upload is first brought as far as its partial uploads allow (it may complete here).
   * Concurrent requests for it share one read (see `SharedReads`): one lock wait, one store read.
   * Throws UploadNotFound, UploadExpired, and MaxSizeExceeded for a final upload whose partial uploads add
   * up to more than the maximum size; with `deliver`, DeliveryFailed.
   */
  async status(id: string, context: RequestContext, options: StatusOptions = {}): Promise<Upload> {
    await this.#preAccess('status', id, context)
    const deliver = options.deliver === true
    try {
      // Requests for the state of one upload that arrive while a read of it waits for the lock share that
      // read; its lock wait counts from the first of them, whose request facts the work carries.
      return await this.#statusReads.run(`${deliver ? 'deliver' : 'status'}:${id}`, context.signal, (shared) => {
        const sharedContext = { signal: shared.signal, request: context.request }
        return this.#locks.withLock(id, sharedContext, async (lock) => {
          shared.seal()
          const handle = await this.#settled(id, sharedContext, lock, 'now')
          if (deliver && awaitsDelivery(handle.state)) (await this.#machine.deliver(handle, sharedContext, lock.lost)).response.discard()
          return this.#annotate(handle.state, sharedContext)
        })
      })
    } catch (error) {
      // A request that left the shared read at shutdown is told so, as one leaving the lock's queue is.
      if (error instanceof ShutdownRequested) throw new ShuttingDown()
      throw error
    }
  }

  /**
   * The upload's stored state read without its lock, or undefined if it cannot be read. For answers
   * that report the state after a request failed: waiting for the lock there would stop the request
   * that holds it now. It may lag a request running on the upload.
   */
  async peek(id: string): Promise<Upload | undefined> {
    return this.#machine.open(id, this.#background.signal).then((handle) => handle.state, () => undefined)
  }

  /**
   * Removes an upload; a running append is asked to stop first. Returns pre-terminate's answer. Throws
   * UploadNotFound, NotSupported, HookRejected, PartialUploadAwaited for a part of a pending final upload.
   */
  async terminate(id: string, context: RequestContext): Promise<Answer | undefined> {
    if (!this.features.capabilities.terminate) throw new NotSupported('termination')
    await this.#preAccess('terminate', id, context)
    return this.#locks.withLock(id, context, async (lock) => {
      const handle = await this.#open(id, context)
      // Without it the final upload would wait for ever for bytes no one can send any more.
      const final = await this.#concatenation.awaitingFinal(handle.state, context.signal)
      if (final !== undefined) throw new PartialUploadAwaited(id, final)
      return this.#machine.terminate(handle, context, lock.lost)
    })
  }

  /**
   * Asks whoever holds the upload's lock, in any process sharing the locker, to stop for good (tusd's
   * `StopUpload`): its request keeps what arrived and fails with UploadStopped; with `terminate` the upload
   * is removed. A no-op when no request holds it.
   */
  async requestStop(id: string, details: StopDetails = {}): Promise<void> {
    await this.#options.locker.requestStop(id, new StopRequested(details))
  }

  /**
   * Opens a finished upload for reading; `selectRange` picks the bytes from the upload's size (it may throw
   * to refuse). The lock is held only while checking the state: a finished upload does not change, so a
   * long download never blocks other requests. Throws UploadNotFound, UploadIncomplete, NotSupported.
   */
  async read(id: string, selectRange: (size: number) => ByteRange | undefined, context: RequestContext): Promise<ReadResult> {
    if (!this.features.capabilities.read) throw new NotSupported('downloads')
    await this.#preAccess('read', id, context)
    const handle = await this.#locks.withLock(id, context, (lock) => this.#settled(id, context, lock, 'now'))
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
    const work = async (): Promise<Upload | undefined> => {
      const handle = await this.#machine.open(id, signal).catch(() => undefined)
      if (handle === undefined || !(await this.#expiry.hasExpired(handle.state, signal))) return undefined
      await this.#machine.expire(handle, signal)
      await this.#expiry.remember(id)
      return handle.state
    }
    return this.#locks.withLock(id, { signal }, work, { requestRelease: false })
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
    const { signal } = this.#background
    for await (const id of this.uploadIds(signal)) {
      if (signal.aborted) return
      const upload = await this.peek(id)
      if (upload !== undefined && isPendingFinal(upload)) void this.#settleInBackground(id)
    }
  }

  /** Stops work in the background and waits for it to end. */
  async close(): Promise<void> {
    await this.#background.close()
  }

  /** Opens an upload under its lock, settles a pending final upload, and finishes one a crash left unfinished. */
  async #settled(id: string, context: RequestContext, lock: Lock, locking: PartialLocking): Promise<StoredUpload> {
    const handle = await this.#open(id, context)
    if (isPendingFinal(handle.state)) await this.#concatenation.settle(handle, context, locking)
    else if (isComplete(handle.state) && !handle.finished) await this.#machine.finish(handle, context, lock.lost)
    return handle
  }

  /** Brings a pending final upload as far as its partial uploads allow, waiting for them politely, in the background. */
  #settleInBackground(id: string): Promise<void> {
    const context = { signal: this.#background.signal }
    return this.#background.run(`complete final upload ${id}`, () => this.#locks.withLock(id, context, (lock) => this.#settled(id, context, lock, 'politely')))
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
      if (error instanceof UploadNotFound && (await this.#expiry.wasRemoved(id))) throw new UploadExpired(id)
      throw error
    }
    if (await this.#expiry.hasExpired(handle.state, context.signal)) {
      await this.#machine.expire(handle, context.signal)
      await this.#expiry.remember(id)
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

  #annotate(upload: Upload, context: RequestContext): Promise<Upload> {
    return this.#expiry.annotate(upload, context.signal)
  }
}
