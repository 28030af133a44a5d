import type { Readable } from 'node:stream'
import type { Lock, Locker } from '../lock/locker.js'
import type { ByteRange, Store } from '../store/store.js'
import {
  BodyIncomplete,
  LengthBelowOffset,
  LengthExceeded,
  LengthMismatch,
  LockTimeout,
  MaxSizeExceeded,
  NetworkTimeout,
  NotSupported,
  OffsetMismatch,
  ShuttingDown,
  UploadIncomplete,
  UploadInterrupted,
} from './errors.js'
import { checked, type BodyCheck } from './body-check.js'
import { GuardedBody, type BodyStop } from './guarded-body.js'
import type { LifecycleListener } from './lifecycle.js'
import { ReleaseRequested, ShutdownRequested } from './stop-reasons.js'
import { newUploadId } from './upload-id.js'
import { isComplete, type Upload } from './upload.js'

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
}

/** Per request: aborted when the client goes away or the gateway shuts down, with a reason from stop-reasons.ts. */
export interface RequestContext {
  readonly signal: AbortSignal
}

export interface CreateCommand {
  readonly length?: number
  readonly metadata: Readonly<Record<string, string | null>>
  /** Bytes sent with the creation request (creation-with-upload), if any. */
  readonly body?: AsyncIterable<Uint8Array>
  /** The body's announced size, if known: a body that cannot fit is refused before it is read. */
  readonly bodySize?: number
  /** Checks over the body's bytes (checksums, digests); see AppendCommand. */
  readonly checks?: readonly BodyCheck[]
  /** The body is the last of the upload; see AppendCommand. */
  readonly complete?: boolean
}

export interface AppendCommand {
  readonly offset: number
  /** A length declared with this request (deferred length), if any. */
  readonly length?: number
  readonly body: AsyncIterable<Uint8Array>
  /** The body's announced size, if known: a body that cannot fit is refused before it is read. */
  readonly bodySize?: number
  /**
   * Checks over this body's bytes. The body then counts all or nothing: if it stops early or a check
   * fails, the upload is cut back to where the request started. Needs a store that can truncate.
   */
  readonly checks?: readonly BodyCheck[]
  /**
   * The client says this body ends the upload: once it is fully received, the length becomes the
   * offset reached (or must equal the known length: LengthMismatch otherwise).
   */
  readonly complete?: boolean
}

export interface ReadResult {
  readonly upload: Upload
  /** The bytes chosen, or undefined for the whole upload. */
  readonly range: ByteRange | undefined
  readonly stream: Readable
}

/**
 * The upload operations every protocol maps onto. It checks the rules that do not depend on a
 * protocol (offsets, lengths, size limit), holds an upload's lock for every operation that reads or
 * changes it, and turns a stopped body into the fact that explains it. It knows no header or status.
 */
export class UploadService {
  readonly #options: ServiceOptions

  constructor(options: ServiceOptions) {
    this.#options = options
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
    if (command.length !== undefined) this.#checkMaxSize(command.length)
    else if (!store.capabilities.deferLength) throw new NotSupported('deferred lengths')
    if (command.bodySize !== undefined && command.length !== undefined && command.bodySize > command.length) {
      throw new LengthExceeded(command.length)
    }
    const created = await store.create({ id: newUploadId(), length: command.length, metadata: command.metadata })
    this.#emit({ type: 'created', upload: created })
    if (command.length === 0) this.#emit({ type: 'finished', upload: created })
    if (command.body === undefined) return created
    const { body, bodySize, checks, complete } = command
    return this.append(created.id, { offset: 0, body, bodySize, checks, complete }, context)
  }

  /**
   * Appends a body at the client's offset. Throws OffsetMismatch (upload untouched), LengthMismatch,
   * LengthBelowOffset, MaxSizeExceeded, and, after keeping what arrived, LengthExceeded, UploadInterrupted,
   * NetworkTimeout, BodyIncomplete or ShuttingDown.
   */
  async append(id: string, command: AppendCommand, context: RequestContext): Promise<Upload> {
    const release = new AbortController()
    const lock = await this.#lock(id, context, () => release.abort(new ReleaseRequested()))
    try {
      let upload = await this.#options.store.get(id)
      // tus 1.0.0 PATCH: on a mismatch the upload MUST NOT be modified, so the offset is checked first.
      if (command.offset !== upload.offset) throw new OffsetMismatch(upload.offset, command.offset)
      if (command.length !== undefined) upload = await this.#declareLength(upload, command.length)
      const limit = this.#appendLimit(upload)
      // A body announced too large is refused before it is read (the client need not send it).
      if (limit !== undefined && command.bodySize !== undefined && command.bodySize > limit) {
        throw this.#stopError({ kind: 'limit' }, upload)
      }
      const checks = command.checks ?? []
      const { store } = this.#options
      if (checks.length > 0 && store.truncate === undefined) throw new NotSupported('checksums')
      const body = new GuardedBody(command.body, {
        limit,
        signal: AbortSignal.any([context.signal, release.signal]),
        idleTimeoutMs: this.#options.networkTimeoutMs,
      })
      const before = upload
      const offset = await store.append(id, before.offset, checks.length > 0 ? checked(body, checks) : body)
      upload = { ...before, offset }
      if (body.stop !== undefined) {
        // A checked body counts all or nothing: a part of it cannot be verified.
        if (checks.length > 0) upload = await this.#rollBack(before, offset)
        const error = this.#stopError(body.stop, upload)
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
      if (command.complete === true) upload = await this.#declareLength(upload, upload.offset)
      if (upload.offset > before.offset) this.#emit({ type: 'received', upload, bytes: upload.offset - before.offset })
      if (isComplete(upload) && !isComplete(before)) this.#emit({ type: 'finished', upload })
      return upload
    } finally {
      await lock.release()
    }
  }

  /** The current state of an upload, read while holding its lock (so a running append stops first). */
  async status(id: string, context: RequestContext): Promise<Upload> {
    const lock = await this.#lock(id, context, () => {})
    try {
      return await this.#options.store.get(id)
    } finally {
      await lock.release()
    }
  }

  /** Removes an upload; a running append is asked to stop first. Throws UploadNotFound, NotSupported. */
  async terminate(id: string, context: RequestContext): Promise<void> {
    const { store } = this.#options
    if (store.terminate === undefined) throw new NotSupported('termination')
    const lock = await this.#lock(id, context, () => {})
    try {
      await store.get(id)
      await store.terminate(id)
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

  async #declareLength(upload: Upload, length: number): Promise<Upload> {
    if (upload.length !== undefined) {
      if (upload.length !== length) throw new LengthMismatch(upload.length, length)
      return upload
    }
    if (length < upload.offset) throw new LengthBelowOffset(upload.offset, length)
    this.#checkMaxSize(length)
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

  #stopError(stop: BodyStop, upload: Upload): LengthExceeded | MaxSizeExceeded | UploadInterrupted | NetworkTimeout | BodyIncomplete | ShuttingDown {
    switch (stop.kind) {
      case 'limit':
        return upload.length !== undefined
          ? new LengthExceeded(upload.length)
          : new MaxSizeExceeded(this.#options.maxSize)
      case 'idle':
        return new NetworkTimeout(stop.idleMs, upload.offset)
      case 'failed':
        return new BodyIncomplete(upload.offset, { cause: stop.error })
      case 'aborted':
        if (stop.reason instanceof ReleaseRequested) return new UploadInterrupted(upload.offset)
        if (stop.reason instanceof ShutdownRequested) return new ShuttingDown(upload.offset)
        return new BodyIncomplete(upload.offset, { cause: stop.reason })
    }
  }

  async #lock(id: string, context: RequestContext, onReleaseRequested: () => void): Promise<Lock> {
    const { locker, acquireLockTimeoutMs } = this.#options
    const timeout = AbortSignal.timeout(acquireLockTimeoutMs)
    try {
      return await locker.acquire(id, { signal: AbortSignal.any([context.signal, timeout]), onReleaseRequested })
    } catch (error) {
      if (timeout.aborted) throw new LockTimeout(id, acquireLockTimeoutMs)
      if (context.signal.reason instanceof ShutdownRequested) throw new ShuttingDown()
      throw error
    }
  }

  #emit(event: Parameters<LifecycleListener>[0]): void {
    this.#options.onEvent?.(event)
  }
}
