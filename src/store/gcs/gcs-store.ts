import { UploadNotFound } from '../../model/errors.js'
import type { UploadInit } from '../../model/upload.js'
import type { Store, StoreCapabilities } from '../store.js'
import { newInfo, parseInfo, uploadFromInfo } from '../tusd-info.js'
import { checkNewUpload } from '../length-rules.js'
import { connectGcs, type GcsConnection } from './gcs-connection.js'
import { isPreconditionFailed, statusOf, storeError } from './gcs-errors.js'
import { UploadNames, type ObjectInfo } from './gcs-objects.js'
import { GcsUpload, type GcsContext } from './gcs-upload.js'
import type { RetryPolicy } from './json-api.js'
import { RetryBuffers } from './retry-buffers.js'

/** Options of a `GcsStore`. */
export interface GcsStoreOptions {
  /** The bucket holding the uploads; it must exist. */
  readonly bucket: string
  /**
   * Put before every object name, followed by `/` (tusd's `-gcs-object-prefix`, e.g. `uploads` gives
   * `uploads/<id>.info`). No `_`: tusd splits object names on it.
   */
  readonly objectPrefix?: string
  /** The JSON API's endpoint, e.g. an emulator's `http://127.0.0.1:4443` (default GCS itself). */
  readonly endpoint?: string
  /** A service account key file (tusd's `GCS_SERVICE_ACCOUNT_FILE`); default the library's Application Default Credentials. */
  readonly keyFilename?: string
  /** Largest chunk object an append writes, in bytes (default 8 MiB). */
  readonly pieceSize?: number
  /**
   * Memory for keeping pieces in flight so that a failed one is sent again, shared by all uploads, in bytes
   * (default 16 MiB: two pieces of 8 MiB). A piece that finds none free is sent without a copy and, if GCS
   * fails it, not retried: its client hears 503 and resumes from the bytes stored.
   */
  readonly retryMemory?: number
  /** How long a request may wait for GCS before it counts as failed (default 30 s). */
  readonly requestTimeoutMs?: number
  /** Retries of a failed call (default 3, waits from 1 s growing twofold, at most 8 s). */
  readonly retry?: Partial<RetryPolicy>
  /** How long an aborted append's last bytes get to reach GCS before its request is cut (default 5 s). */
  readonly abortGraceMs?: number
  /** How old a crash leftover must be before `sweepLeftovers` removes it, in milliseconds (default 10 minutes). */
  readonly leftoverGraceMs?: number
}

const MiB = 1024 * 1024
const DEFAULTS = {
  pieceSize: 8 * MiB,
  retryMemory: 16 * MiB,
  requestTimeoutMs: 30_000,
  retry: { maxRetries: 3, maxDelayMs: 8_000, multiplier: 2 },
  abortGraceMs: 5_000,
  leftoverGraceMs: 10 * 60 * 1000,
} as const

// Ids become object names: letters, digits and `-` only. Never `_` (tusd splits names on it to find chunk
// indexes), `.` (`.info`) or `/`. tusd's ids (32 hex digits) fit.
const VALID_ID = /^[A-Za-z0-9-]{1,128}$/

// GCS's largest object.
const MAX_OBJECT_SIZE = 5 * 1024 ** 4

/**
 * Stores uploads in a GCS bucket in tusd v2's gcsstore layout, so a bucket written by tusd is served and
 * resumed as it is, and tusd can serve and resume ours:
 *
 * - `<prefix>/<id>.info`: tusd's FileInfo JSON (plus fields of our own), written at creation and rewritten
 *   (on a generation precondition) only when the length, completion or awaiting final uploads change;
 * - `<prefix>/<id>_<n>`: chunk objects, n = 0, 1, ...; tusd writes one per PATCH, we one per piece of at
 *   most `pieceSize` bytes. The offset is the sum of their sizes: it never counts a byte GCS did not confirm;
 * - `<prefix>/<id>`: the finished upload, the chunks composed 32 at a time (CRC32C checked), the chunks
 *   deleted after; `<prefix>/<id>_tmp_<level>_<i>` while such a compose is under way.
 *
 * Concatenation composes the partial uploads' objects (tusd's gcsstore has none). A GCS that is
 * unreachable or failing past the retries makes calls throw `StoreUnavailable`.
 */
export class GcsStore implements Store {
  readonly capabilities: StoreCapabilities = {
    terminate: true,
    deferLength: true,
    read: true,
    rollBack: true,
    concat: true,
    expire: true,
    maxSize: MAX_OBJECT_SIZE,
  }
  readonly #connection: GcsConnection
  readonly #context: GcsContext
  /** `<prefix>/`, or empty without a prefix. */
  readonly #listPrefix: string
  readonly #leftoverGraceMs: number

  /** A store on `options.bucket`; no I/O (see `GcsStore.connect`). Throws `RangeError` for a bad prefix or size. */
  constructor(options: GcsStoreOptions) {
    const prefix = options.objectPrefix ?? ''
    if (prefix.includes('_')) throw new RangeError(`the object prefix must not contain "_" (tusd splits object names on it): ${JSON.stringify(prefix)}`)
    const pieceSize = options.pieceSize ?? DEFAULTS.pieceSize
    if (!(Number.isSafeInteger(pieceSize) && pieceSize > 0)) throw new RangeError(`pieceSize must be a positive byte count, not ${pieceSize}`)
    this.#listPrefix = prefix === '' || prefix.endsWith('/') ? prefix : `${prefix}/`
    this.#connection = connectGcs({
      bucket: options.bucket,
      ...(options.endpoint === undefined ? {} : { endpoint: options.endpoint }),
      ...(options.keyFilename === undefined ? {} : { keyFilename: options.keyFilename }),
      requestTimeoutMs: options.requestTimeoutMs ?? DEFAULTS.requestTimeoutMs,
      retry: { ...DEFAULTS.retry, ...options.retry },
    })
    const retryMemory = options.retryMemory ?? DEFAULTS.retryMemory
    if (!(Number.isSafeInteger(retryMemory) && retryMemory >= 0)) throw new RangeError(`retryMemory must be a byte count, not ${retryMemory}`)
    this.#context = {
      bucket: this.#connection.bucket,
      buffers: new RetryBuffers(pieceSize, Math.floor(retryMemory / pieceSize)),
      abortGraceMs: options.abortGraceMs ?? DEFAULTS.abortGraceMs,
    }
    this.#leftoverGraceMs = options.leftoverGraceMs ?? DEFAULTS.leftoverGraceMs
  }

  /**
   * A store whose bucket answered a listing: the bucket exists and the credentials may list it. Throws an
   * `Error` naming the bucket when it does not exist, is refused, or GCS cannot be reached.
   */
  static async connect(options: GcsStoreOptions): Promise<GcsStore> {
    const store = new GcsStore(options)
    try {
      await store.#context.bucket.list(store.#listPrefix, AbortSignal.timeout(60_000)).next()
    } catch (error) {
      store.#connection.close()
      const status = statusOf(error)
      const why = status === 404 ? 'does not exist' : status === 401 || status === 403 ? 'refuses these credentials' : 'cannot be reached'
      throw new Error(`GCS bucket ${options.bucket} ${why}: ${error instanceof Error ? error.message : String(error)}`, { cause: error })
    }
    return store
  }

  /** Letters, digits and `-`, 1 to 128 of them. */
  isValidId(id: string): boolean {
    return VALID_ID.test(id)
  }

  /**
   * Writes `.info`, on the condition that there is none: a taken id is refused. Throws `RangeError` for an
   * invalid id or length, an `Error` if the id is taken, `StoreUnavailable`, `signal.reason`.
   */
  async create(init: UploadInit, signal: AbortSignal): Promise<GcsUpload> {
    signal.throwIfAborted()
    checkNewUpload(init, (id) => this.isValidId(id))
    const names = this.#names(init.id)
    const { bucket } = this.#context
    const createdAt = Date.now()
    const info = newInfo(init.id, init, names.storage(bucket.name), createdAt) as unknown as Record<string, unknown>
    let written: ObjectInfo
    try {
      written = await bucket.write(names.info, Buffer.from(JSON.stringify(info)), { ifGenerationMatch: 0, contentType: 'application/json' }, signal)
    } catch (error) {
      if (isPreconditionFailed(error)) throw new Error(`upload ${init.id} exists already`, { cause: error })
      throw storeError(error)
    }
    const state = uploadFromInfo(init.id, info, { size: 0, modifiedAt: createdAt }, this.#location(names.info), names.storage(bucket.name))
    return new GcsUpload(this.#context, names, state, info, { infoGeneration: written.generation, chunks: [] })
  }

  /**
   * Reads `.info` and lists the upload's objects, at once: the offset is `<key>`'s size once finished, the
   * sum of the chunk objects before. Throws `UploadNotFound` (also for an invalid id), `InvalidInfoFile`,
   * `StoreUnavailable`, `signal.reason`.
   */
  async open(id: string, signal: AbortSignal): Promise<GcsUpload> {
    if (!this.isValidId(id)) throw new UploadNotFound(id)
    signal.throwIfAborted()
    const names = this.#names(id)
    const { bucket } = this.#context
    let text: string | undefined
    let infoObject: ObjectInfo | undefined
    let objects
    try {
      const [listing, read] = await Promise.all([bucket.listAll(names.key, signal), bucket.readText(names.info, signal)])
      text = read
      objects = names.classify(listing)
      // Listed just before `.info` was written: ask for it alone.
      infoObject = objects.info ?? (text === undefined ? undefined : await bucket.stat(names.info, signal))
    } catch (error) {
      throw storeError(error)
    }
    if (text === undefined || infoObject === undefined) throw new UploadNotFound(id)
    const location = this.#location(names.info)
    const parsed = parseInfo(text, location)
    // tusd's `.info` has no creation time of its own; the object's, kept from now on, is when it was written.
    const info = typeof parsed['createdAt'] === 'number' ? parsed : { ...parsed, createdAt: infoObject.updatedAt }
    const data = objects.final === undefined ? objects.chunks : [objects.final]
    const size = data.reduce((sum, object) => sum + object.size, 0)
    const modifiedAt = Math.max(info['createdAt'] as number, ...data.map((object) => object.updatedAt))
    // Where the objects are now, whatever `.info` says: a bucket tusd wrote may have been copied since.
    const state = uploadFromInfo(id, info, { size, modifiedAt }, location, names.storage(bucket.name))
    return new GcsUpload(this.#context, names, state, info, {
      infoGeneration: infoObject.generation,
      chunks: objects.chunks,
      ...(objects.final === undefined ? {} : { final: objects.final }),
    })
  }

  /** The id of every upload with a `.info` under the prefix, listed lazily. Throws `StoreUnavailable`, `signal.reason`. */
  async *list(signal: AbortSignal): AsyncGenerator<string> {
    try {
      for await (const object of this.#context.bucket.list(this.#listPrefix, signal, '/')) {
        const name = object.name.slice(this.#listPrefix.length)
        if (!name.endsWith('.info')) continue
        const id = name.slice(0, -'.info'.length)
        if (this.isValidId(id)) yield id
      }
    } catch (error) {
      throw storeError(error)
    }
  }

  /**
   * Removes, once older than `leftoverGraceMs`, what crashes left: `_tmp_` objects of a compose, and chunk
   * objects of finished uploads (the compose succeeded, their deletion did not). Never an object an upload
   * still uses. Resolves with the bytes freed; throws `StoreUnavailable`, `signal.reason`.
   */
  async sweepLeftovers(signal: AbortSignal): Promise<number> {
    const { bucket } = this.#context
    const before = Date.now() - this.#leftoverGraceMs
    // A finished upload's `<key>` is listed before its chunks (a name sorts before its extensions).
    const finished = new Set<string>()
    let freed = 0
    try {
      for await (const object of bucket.list(this.#listPrefix, signal, '/')) {
        const id = /^[^._]*/.exec(object.name.slice(this.#listPrefix.length))?.[0] ?? ''
        if (!this.isValidId(id)) continue
        const kind = this.#names(id).kindOf(object.name)
        if (kind === 'final') finished.add(id)
        const leftover = kind === 'temporary' || (typeof kind === 'object' && finished.has(id))
        if (leftover && object.updatedAt < before && (await bucket.remove(object.name, signal))) freed += object.size
      }
    } catch (error) {
      throw storeError(error)
    }
    return freed
  }

  /** Closes the connections of the store's own uploads. */
  async close(): Promise<void> {
    this.#connection.close()
  }

  #names(id: string): UploadNames {
    return new UploadNames(`${this.#listPrefix}${id}`)
  }

  #location(name: string): string {
    return `gs://${this.#context.bucket.name}/${name}`
  }
}
