import { UploadNotFound } from '../../model/errors.js'
import type { Upload, UploadInit } from '../../model/upload.js'
import type { Store, StoreCapabilities } from '../store.js'
import { checkNewUpload } from '../length-rules.js'
import { MemoryUpload, type Entry } from './memory-upload.js'

/** Options of a `MemoryStore`. */
export interface MemoryStoreOptions {
  /**
   * Keep bytes as a part store does (tusd's S3 store): in parts of at least this many bytes, except the
   * last, with an append's shorter tail kept aside until the next append or `finish` (tusd's `.part`).
   * Declared as `capabilities.minPartSize`, so the conformance suite tests around it.
   */
  readonly minPartSize?: number
  /**
   * Extend every wanted id as tusd's S3 store does (`<id>+<n>`), so that callers are tested on ids they
   * did not choose (default false).
   */
  readonly extendIds?: boolean
}

// Unreserved URL characters and '+' (tusd's S3 ids), never only dots: one safe path segment.
const VALID_ID = /^(?!\.+$)[A-Za-z0-9._~+-]{1,256}$/

/**
 * The reference implementation of the `Store` port, with every capability, kept small rather than fast:
 * uploads live in a Map, bytes as a list of buffers. Core and codec tests run on it.
 *
 * It is strict where a real backend would be: `read` refuses an upload that is not finished
 * (`UploadIncomplete`), `finish` refuses an incomplete one, and an append to a finished or final upload,
 * past the length, or through a handle that missed another handle's write throws, so callers that break
 * the port's contract fail in tests instead of on S3.
 */
export class MemoryStore implements Store {
  readonly capabilities: StoreCapabilities
  readonly #entries = new Map<string, Entry>()
  readonly #minPartSize: number | undefined
  readonly #extendIds: boolean
  #created = 0

  constructor(options: MemoryStoreOptions = {}) {
    const { minPartSize } = options
    if (minPartSize !== undefined && !(Number.isSafeInteger(minPartSize) && minPartSize > 0)) {
      throw new RangeError(`minPartSize must be a positive byte count, not ${minPartSize}`)
    }
    this.#minPartSize = minPartSize
    this.#extendIds = options.extendIds ?? false
    this.capabilities = {
      terminate: true,
      deferLength: true,
      read: true,
      rollBack: true,
      concat: true,
      expire: true,
      ...(minPartSize === undefined ? {} : { minPartSize }),
    }
  }

  /** Ids of unreserved URL characters and `+`, 1 to 256 of them, not only dots. */
  isValidId(id: string): boolean {
    return VALID_ID.test(id)
  }

  /**
   * Creates an empty upload (with `extendIds`, under `<init.id>+<n>`). Throws `RangeError` for an invalid
   * id or length, an `Error` if the id is taken, `signal.reason` if the signal is aborted.
   */
  async create(init: UploadInit, signal: AbortSignal): Promise<MemoryUpload> {
    signal.throwIfAborted()
    checkNewUpload(init, (id) => this.isValidId(id))
    const id = this.#extendIds ? `${init.id}+${(++this.#created).toString(36)}` : init.id
    if (this.#entries.has(id)) throw new Error(`upload ${id} exists already`)
    const now = Date.now()
    const upload: Upload = {
      id,
      offset: 0,
      ...(init.length === undefined ? {} : { length: init.length }),
      metadata: { ...init.metadata },
      createdAt: now,
      updatedAt: now,
      ...(init.concat === undefined ? {} : { concat: init.concat }),
      ...(init.digests === undefined ? {} : { digests: init.digests }),
      ...(init.target === undefined ? {} : { target: init.target }),
    }
    const entry: Entry = { upload, parts: [], tail: [], finished: false }
    this.#entries.set(id, entry)
    return this.#handle(entry)
  }

  /** A handle on the upload as it is now. Throws `UploadNotFound` (also for an invalid id), `signal.reason`. */
  async open(id: string, signal: AbortSignal): Promise<MemoryUpload> {
    if (!this.isValidId(id)) throw new UploadNotFound(id)
    signal.throwIfAborted()
    const entry = this.#entries.get(id)
    if (entry === undefined) throw new UploadNotFound(id)
    return this.#handle(entry)
  }

  /** The id of every upload, as they are when the listing starts. Throws `signal.reason` once it aborts. */
  async *list(signal: AbortSignal): AsyncGenerator<string> {
    for (const id of [...this.#entries.keys()]) {
      signal.throwIfAborted()
      yield id
    }
  }

  /** The bytes stored for `id` so far, finished or not: for tests that look inside the store. Throws `UploadNotFound`. */
  bytesOf(id: string): Buffer {
    const entry = this.#entries.get(id)
    if (entry === undefined) throw new UploadNotFound(id)
    return Buffer.concat([...entry.parts, ...entry.tail])
  }

  #handle(entry: Entry): MemoryUpload {
    return new MemoryUpload(entry, {
      minPartSize: this.#minPartSize,
      current: (id) => this.#entries.get(id),
      remove: (id) => this.#entries.delete(id),
    })
  }
}
