import type { Lock, Locker } from '../lock/locker.js'
import type { ByteRange, Store } from '../store/store.js'
import {
  FinalUploadImmutable,
  LengthBelowOffset,
  LengthExceeded,
  LengthMismatch,
  MaxSizeExceeded,
  NotSupported,
  OffsetMismatch,
  UploadExpired,
  UploadIncomplete,
  UploadNotFound,
} from '../model/errors.js'
import { checked } from './body-check.js'
import { Concatenation } from './concatenation.js'
import { expires, type ExpirationPolicy } from './expiration.js'
import { GuardedBody } from './guarded-body.js'
import { stopError } from './stop-error.js'
import { acquireLock } from './acquire-lock.js'
import type { LifecycleEvent, LifecycleListener } from './lifecycle.js'
import { ReleaseRequested, ShutdownRequested } from '../model/stop-reasons.js'
import { newUploadId } from './upload-id.js'
import { UploadExpiry } from './upload-expiry.js'
import { isComplete, isPendingFinal, type Upload } from '../model/upload.js'
import type { AppendCommand, CreateCommand, ReadResult, RequestContext } from './commands.js'

export type { AppendCommand, CreateCommand, ReadResult, RequestContext } from './commands.js'

export interface ServiceOptions {
  readonly store: Store
  readonly locker: Locker
  /** Largest upload accepted, in bytes; 0 means no limit. */
  readonly maxSize: number
  /** How long a request waits for an upload's lock before giving up. */
  readonly acquireLockTimeoutMs: number
  /** How long a body may send nothing before it is stopped (its bytes kept); 0 turns it off. */
  readonly networkTimeoutMs: number
  readonly onEvent?: LifecycleListener
  /** When uploads expire (tus `expiration`); undefined: never. Needs a store with `expire` and `terminate`. */
  readonly expiration?: ExpirationPolicy
  /** How many expired uploads are remembered, to answer "expired" rather than "not found" (default 10,000). */
  readonly expiredUploadsRemembered?: number
  /** Receives the errors of work done in the background (completing final uploads); must not throw. */
  readonly onBackgroundError?: (error: unknown, task: string) => void
}

/**
 * The upload operations every protocol maps onto. It checks the rules that do not depend on a
 * protocol (offsets, lengths, size limit), holds an upload's lock for every operation that reads or
 * changes it, and turns a stopped body into the fact that explains it. It knows no header or status.
 */
export class UploadService {
  readonly #options: ServiceOptions
  readonly #concatenation: Concatenation
  readonly #expiry: UploadExpiry
  /** Work started in the background, awaited by `close`. */
  readonly #background = new Set<Promise<void>>()
  readonly #closed = new AbortController()
  /**
   * Uploads receiving a checked body, whose bytes may yet be discarded: a final upload does not take a
   * partial upload's bytes before they are sure (it would keep bytes the partial upload then loses).
   */
  readonly #unsettled = new Set<string>()

  /** Throws NotSupported when `expiration` asks for what the store cannot do. */
  constructor(options: ServiceOptions) {
    const { store, expiration } = options
    if (expires(expiration) && !(store.capabilities.expire && store.capabilities.terminate)) throw new NotSupported('expiration')
    this.#options = options
    this.#concatenation = new Concatenation(store, options.maxSize)
    this.#expiry = new UploadExpiry(expiration, this.#concatenation, options.expiredUploadsRemembered ?? 10_000)
  }

  /** When uploads expire, if they do. */
  get expiration(): ExpirationPolicy | undefined {
    return this.#expiry.policy
  }

  get maxSize(): number {
    return this.#options.maxSize
  }

  get store(): Store {
    return this.#options.store
  }

  /** Creates an upload, and appends the body if one came with the request. Throws MaxSizeExceeded and append's errors. */
  async create(command: CreateCommand, context: RequestContext): Promise<Upload> {
    const { store } = this.#options
    if (command.concat !== undefined && !store.capabilities.concat) throw new NotSupported('concatenation')
    if (command.concat?.kind === 'final') return this.#createFinal(command, command.concat.partials, context)
    if (command.length !== undefined) this.#checkMaxSize(command.length)
    else if (!store.capabilities.deferLength) throw new NotSupported('deferred lengths')
    if (command.bodySize !== undefined && command.length !== undefined && command.bodySize > command.length) {
      throw new LengthExceeded(command.length)
    }
    const id = newUploadId()
    if (command.body === undefined) return this.#expiry.annotate(await this.#createEmpty(id, command))
    // The new upload is locked before anyone can learn its URL (a draft 104 announces it while the
    // body still streams), so the body can go straight into the state just created.
    const { body, bodySize, checks, complete } = command
    return this.#holdingToAppend(id, context, async (released) => {
      const created = await this.#createEmpty(id, command)
      return this.#appendHeld(created, { offset: 0, body, bodySize, checks, complete }, context, released)
    })
  }

  /** Stores a new upload without content and announces it. */
  async #createEmpty(id: string, command: CreateCommand): Promise<Upload> {
    const { store } = this.#options
    let created = await store.create({
      id,
      length: command.length,
      metadata: command.metadata,
      concat: command.concat,
      digests: command.digests,
    })
    // An empty upload whose client says more follows is not complete (draft R-14): it waits for a request saying so.
    if (command.length === 0 && command.complete === false) created = await this.#settleCompletion(created, false)
    this.#emit({ type: 'created', upload: created })
    command.onCreated?.(created)
    if (command.length === 0 && command.complete !== false) this.#emit({ type: 'finished', upload: created })
    return created
  }

  /**
   * Appends a body at the client's offset. Throws OffsetMismatch (upload untouched), LengthMismatch,
   * LengthBelowOffset, MaxSizeExceeded, and, after keeping what arrived, LengthExceeded, UploadInterrupted,
   * NetworkTimeout, BodyIncomplete or ShuttingDown.
   */
  async append(id: string, command: AppendCommand, context: RequestContext): Promise<Upload> {
    return this.#holdingToAppend(id, context, async (released) => this.#appendHeld(await this.#load(id), command, context, released))
  }

  /**
   * Runs `work` holding the upload's lock; `released` aborts when another request asks for the upload,
   * so a streaming body stops and keeps what arrived.
   */
  async #holdingToAppend(id: string, context: RequestContext, work: (released: AbortSignal) => Promise<Upload>): Promise<Upload> {
    const release = new AbortController()
    const lock = await this.#lock(id, context, () => release.abort(new ReleaseRequested()))
    try {
      return await work(release.signal)
    } finally {
      this.#unsettled.delete(id)
      await lock.release()
    }
  }

  /** Appends to `upload`, whose lock the caller holds; `released` aborts when another request wants it. */
  async #appendHeld(current: Upload, command: AppendCommand, context: RequestContext, released: AbortSignal): Promise<Upload> {
    const { id } = current
    let upload = current
    await command.precondition?.(upload)
    // tus concatenation: a final upload is made of its partial uploads; nothing is appended to it.
    if (upload.concat?.kind === 'final') throw new FinalUploadImmutable(id)
    // tus 1.0.0 PATCH: on a mismatch the upload MUST NOT be modified, so the offset is checked first.
    if (command.offset !== upload.offset) throw new OffsetMismatch(upload.offset, command.offset)
    const checks = command.checks ?? []
    const discardable = checks.some((check) => check.allOrNothing !== false)
    // tus checksum (T-43): a body that may yet be discarded leaves the upload as it was, the length it
    // declares included, so that length is checked now and stored only once the body is kept.
    const newLength = command.length === undefined ? undefined : this.#checkDeclaredLength(upload, command.length)
    if (newLength !== undefined && !discardable) upload = await this.#declareLength(upload, newLength)
    // The body is held to the length it declares, stored yet or not.
    const bounded = (state: Upload): Upload => (newLength === undefined ? state : { ...state, length: newLength })
    const limit = this.#appendLimit(bounded(upload))
    // A body announced too large is refused before it is read (the client need not send it).
    if (limit !== undefined && command.bodySize !== undefined && command.bodySize > limit) {
      throw stopError({ kind: 'limit' }, bounded(upload), this.#options.maxSize)
    }
    const { store } = this.#options
    if (checks.length > 0 && store.truncate === undefined) throw new NotSupported('checksums')
    const body = new GuardedBody(command.body, {
      limit,
      signal: AbortSignal.any([context.signal, released]),
      idleTimeoutMs: this.#options.networkTimeoutMs,
    })
    const before = upload
    if (discardable) this.#unsettled.add(id)
    const offset = await store.append(id, before.offset, checks.length > 0 ? checked(body, checks) : body)
    upload = { ...before, offset }
    if (body.stop !== undefined) {
      // A checked body counts all or nothing: a part of it cannot be verified.
      if (discardable) upload = await this.#rollBack(before, offset)
      // A request that stopped early completes nothing, even at the length, where the client completes
      // uploads; an upload complete before it stays complete (draft R-09: nothing reopens it).
      if (command.complete !== undefined && !isComplete(before)) upload = await this.#settleCompletion(upload, false)
      const error = stopError(body.stop, bounded(upload), this.#options.maxSize)
      this.#emit({ type: 'interrupted', upload, bytes: upload.offset - before.offset, reason: error.code })
      throw error
    }
    if (checks.length > 0) {
      try {
        for (const check of checks) await check.verify()
      } catch (error) {
        await this.#rollBack(before, offset)
        throw error
      }
    }
    // The bytes are kept for good from here on; a final upload waiting for them may take them.
    this.#unsettled.delete(id)
    if (newLength !== undefined && discardable) upload = await this.#declareLength(upload, newLength)
    if (command.complete === true) upload = await this.#declareLength(upload, upload.offset)
    upload = await this.#settleCompletion(upload, isComplete(before) ? undefined : command.complete)
    if (upload.offset > before.offset) {
      // The store wrote just now: the upload's last write, which its expiry counts from, is now.
      upload = { ...upload, updatedAt: Date.now() }
      this.#emit({ type: 'received', upload, bytes: upload.offset - before.offset })
    }
    if (isComplete(upload) && !isComplete(before)) this.#emit({ type: 'finished', upload })
    return await this.#expiry.annotate(upload)
  }

  /**
   * The current state of an upload, read while holding its lock (so a running append stops first). A
   * pending final upload is first brought as far as its partial uploads allow (it may complete here).
   * Throws UploadNotFound, UploadExpired, and MaxSizeExceeded for a final upload whose partial uploads add
   * up to more than the maximum size.
   */
  async status(id: string, context: RequestContext): Promise<Upload> {
    const lock = await this.#lock(id, context, () => {})
    try {
      const upload = await this.#load(id)
      return isPendingFinal(upload) ? await this.#settle(upload) : upload
    } finally {
      await lock.release()
    }
  }

  /**
   * The upload's stored state read without its lock, or undefined if it cannot be read. For answers
   * that report the state after a request failed: waiting for the lock there would stop the request
   * that holds it now. It may lag a request running on the upload.
   */
  async peek(id: string): Promise<Upload | undefined> {
    return this.#options.store.get(id).catch(() => undefined)
  }

  /** Removes an upload; a running append is asked to stop first. Throws UploadNotFound, NotSupported. */
  async terminate(id: string, context: RequestContext): Promise<void> {
    const { store } = this.#options
    if (store.terminate === undefined) throw new NotSupported('termination')
    const lock = await this.#lock(id, context, () => {})
    try {
      await this.#load(id)
      await store.terminate(id)
      this.#concatenation.forget(id)
      this.#emit({ type: 'terminated', id })
    } finally {
      await lock.release()
    }
  }

  /**
   * Opens a finished upload for reading; `selectRange` picks the bytes from the upload's size (it may
   * throw to refuse). The lock is held only while checking the state: a finished upload does not
   * change, so a long download never blocks other requests. Throws UploadNotFound, UploadIncomplete,
   * NotSupported.
   */
  async read(
    id: string,
    selectRange: (size: number) => ByteRange | undefined,
    context: RequestContext,
  ): Promise<ReadResult> {
    const { store } = this.#options
    if (store.read === undefined) throw new NotSupported('downloads')
    const upload = await this.status(id, context)
    if (!isComplete(upload)) throw new UploadIncomplete(upload.offset, upload.length)
    const range = selectRange(upload.offset)
    return { upload, range, stream: await store.read(id, range) }
  }

  /**
   * Removes the upload if it has expired, and returns its last state then (undefined otherwise: not expired,
   * or gone). It is first checked without its lock, so that uploads in use are not disturbed; one that looks
   * expired is checked again under its lock, after any request running on it. For the expiration sweeper;
   * throws LockTimeout, and `signal`'s reason when it aborts the wait for the lock.
   */
  async expire(id: string, signal: AbortSignal): Promise<Upload | undefined> {
    if (!(await this.#expiredUpload(id))) return undefined
    const lock = await this.#lock(id, { signal }, () => {})
    try {
      const upload = await this.#expiredUpload(id)
      if (upload !== undefined) await this.#removeExpired(upload)
      return upload
    } finally {
      await lock.release()
    }
  }

  /**
   * Finds the final uploads an earlier run left pending, so that their partial uploads' completion
   * completes them, and completes (in the background) those whose partial uploads already are. Resolves
   * once the store has been read. Needs a store that can list its uploads; a no-op otherwise.
   */
  async start(): Promise<void> {
    const { store } = this.#options
    if (!store.capabilities.concat || store.list === undefined) return
    for await (const id of store.list()) {
      if (this.#closed.signal.aborted) return
      const upload = await store.get(id).catch(() => undefined)
      if (upload === undefined || !isPendingFinal(upload)) continue
      this.#concatenation.track(upload)
      this.#inBackground(`complete final upload ${id}`, () => this.status(id, { signal: this.#closed.signal }))
    }
  }

  /** Stops work running in the background and waits for it to end. */
  async close(): Promise<void> {
    this.#closed.abort(new ShutdownRequested())
    await Promise.allSettled([...this.#background])
  }

  /** Creates a final upload of `partials`, complete at once if they all are. Throws PartialUploadInvalid, MaxSizeExceeded. */
  async #createFinal(command: CreateCommand, partials: readonly string[], context: RequestContext): Promise<Upload> {
    if (command.body !== undefined || command.length !== undefined) {
      throw new TypeError('a final upload takes neither a body nor a length: both come from its partial uploads')
    }
    const { store } = this.#options
    const length = await this.#concatenation.finalLength(partials)
    if (length !== undefined) this.#checkMaxSize(length)
    else if (!store.capabilities.deferLength) throw new NotSupported('deferred lengths')
    const created = await store.create({ id: newUploadId(), length, metadata: command.metadata, concat: command.concat })
    this.#emit({ type: 'created', upload: created })
    this.#concatenation.track(created)
    return this.status(created.id, context)
  }

  /** Brings a pending final upload as far as its partial uploads allow; the caller holds its lock. */
  async #settle(final: Upload): Promise<Upload> {
    const settled = await this.#concatenation.settle(final, this.#unsettled)
    if (!isComplete(settled)) return this.#expiry.annotate(settled)
    this.#concatenation.forget(final.id)
    this.#emit({ type: 'finished', upload: settled })
    return this.#expiry.annotate(settled)
  }

  /**
   * Reads an upload; the caller holds its lock. An upload found expired is removed on the spot, so that
   * no request can use it between its expiry and the next sweep. Throws UploadNotFound, UploadExpired
   * (also for an upload removed earlier, while it is remembered).
   */
  async #load(id: string): Promise<Upload> {
    let upload: Upload
    try {
      upload = await this.#options.store.get(id)
    } catch (error) {
      if (error instanceof UploadNotFound && this.#expiry.wasRemoved(id)) throw new UploadExpired(id)
      throw error
    }
    if (await this.#expiry.hasExpired(upload)) {
      await this.#removeExpired(upload)
      throw new UploadExpired(id)
    }
    return this.#expiry.annotate(upload)
  }

  /** The upload if it exists and has expired. */
  async #expiredUpload(id: string): Promise<Upload | undefined> {
    const upload = await this.#options.store.get(id).catch((error: unknown) => {
      if (error instanceof UploadNotFound) return undefined
      throw error
    })
    return upload !== undefined && (await this.#expiry.hasExpired(upload)) ? upload : undefined
  }

  async #removeExpired(upload: Upload): Promise<void> {
    await this.#options.store.terminate?.(upload.id)
    this.#expiry.remember(upload.id)
    this.#concatenation.forget(upload.id)
    this.#emit({ type: 'expired', upload })
  }

  #inBackground(task: string, work: () => Promise<unknown>): void {
    const running: Promise<void> = work()
      .then(
        () => undefined,
        (error: unknown) => {
          if (!this.#closed.signal.aborted) this.#options.onBackgroundError?.(error, task)
        },
      )
      .finally(() => this.#background.delete(running))
    this.#background.add(running)
  }

  /** Records whether an upload that reached its length waits for its client to complete it (`complete: false`). */
  async #settleCompletion(upload: Upload, complete: boolean | undefined): Promise<Upload> {
    const pending = complete === false && upload.length === upload.offset
    if (pending === (upload.completionPending === true)) return upload
    const { store } = this.#options
    if (store.setCompletionPending === undefined) throw new NotSupported('explicit completion')
    return store.setCompletionPending(upload.id, pending)
  }

  /**
   * Checks a length declared for `upload` without storing it: returns it when the upload's length was
   * deferred until now, undefined when it is already that. Throws LengthMismatch, LengthBelowOffset, MaxSizeExceeded.
   */
  #checkDeclaredLength(upload: Upload, length: number): number | undefined {
    if (upload.length !== undefined) {
      if (upload.length !== length) throw new LengthMismatch(upload.length, length)
      return undefined
    }
    if (length < upload.offset) throw new LengthBelowOffset(upload.offset, length)
    this.#checkMaxSize(length)
    return length
  }

  async #declareLength(upload: Upload, length: number): Promise<Upload> {
    if (this.#checkDeclaredLength(upload, length) === undefined) return upload
    const { store } = this.#options
    if (store.declareLength === undefined) throw new NotSupported('deferred lengths')
    return store.declareLength(upload.id, length)
  }

  /** Discards what a request appended: the upload goes back to its state before the request. */
  async #rollBack(before: Upload, reached: number): Promise<Upload> {
    const { store } = this.#options
    if (reached > before.offset) await store.truncate?.(before.id, before.offset)
    return before
  }

  #appendLimit(upload: Upload): number | undefined {
    if (upload.length !== undefined) return upload.length - upload.offset
    const { maxSize } = this.#options
    return maxSize > 0 ? maxSize - upload.offset : undefined
  }

  #checkMaxSize(length: number): void {
    const { maxSize } = this.#options
    if (maxSize > 0 && length > maxSize) throw new MaxSizeExceeded(maxSize, length)
  }

  #lock(id: string, context: RequestContext, onReleaseRequested: () => void): Promise<Lock> {
    const { locker, acquireLockTimeoutMs } = this.#options
    return acquireLock(locker, id, { signal: context.signal, timeoutMs: acquireLockTimeoutMs, onReleaseRequested })
  }

  #emit(event: LifecycleEvent): void {
    this.#options.onEvent?.(event)
    // concatenation-unfinished: a partial upload that completes may complete the final uploads naming it.
    if (event.type === 'finished' && event.upload.concat?.kind === 'partial') {
      for (const finalId of this.#concatenation.finalsAwaiting(event.upload.id)) {
        this.#inBackground(`complete final upload ${finalId}`, () => this.status(finalId, { signal: this.#closed.signal }))
      }
    }
  }
}
