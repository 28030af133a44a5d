import { Readable } from 'node:stream'
import { UploadIncomplete, UploadNotFound } from '../../model/errors.js'
import { isComplete, type ByteRange, type Upload } from '../../model/upload.js'
import { consumeBody } from '../consume-body.js'
import { checkDeclaredLength } from '../length-rules.js'
import type { StoredUpload, UploadChanges } from '../store.js'

/** One upload as the memory store holds it. `upload` is replaced (never changed) on every write. */
export interface Entry {
  upload: Upload
  /** The bytes; with a part size, every part but the last holds at least that many. */
  parts: Buffer[]
  /** With a part size: the bytes after the last part, fewer than a part (tusd's `.part`). Otherwise empty. */
  tail: Buffer[]
  finished: boolean
}

/** What a handle needs of its store. */
export interface MemoryStoreAccess {
  readonly minPartSize: number | undefined
  /** The entry stored under `id` now, if any. */
  current(id: string): Entry | undefined
  remove(id: string): void
}

/**
 * A handle on one upload of a `MemoryStore`. Its `state` is the entry's as it was at `open`, then as
 * each of its own calls left it.
 */
export class MemoryUpload implements StoredUpload {
  readonly #entry: Entry
  readonly #store: MemoryStoreAccess
  #state: Upload
  #finished: boolean
  /** How to undo this handle's last append: the entry's parts, tail and offset before it. */
  #undo: { readonly parts: number; readonly tail: Buffer[]; readonly offset: number } | undefined

  constructor(entry: Entry, store: MemoryStoreAccess) {
    this.#entry = entry
    this.#store = store
    this.#state = entry.upload
    this.#finished = entry.finished
  }

  get state(): Upload {
    return this.#state
  }

  get finished(): boolean {
    return this.#finished
  }

  /**
   * Appends the body's bytes as they arrive; stops at an aborted signal keeping what arrived. Throws
   * `UploadNotFound`, the body's error (after keeping what came before it), `RangeError` for bytes past the
   * length (after keeping those up to it) or for a final upload, and an `Error` for a finished upload or a
   * handle that missed another handle's write.
   */
  async append(body: AsyncIterable<Uint8Array>, signal: AbortSignal): Promise<Upload> {
    const entry = this.#writable('append to')
    if (entry.upload.concat?.kind === 'final') throw new RangeError(`upload ${entry.upload.id} is a final upload: it takes no bytes`)
    this.#undo = { parts: entry.parts.length, tail: [...entry.tail], offset: entry.upload.offset }
    try {
      await consumeBody(body, signal, (chunk) => this.#keep(entry, chunk))
    } finally {
      this.#state = entry.upload
    }
    return this.#state
  }

  /** Applies `changes`. Throws `UploadNotFound`, `RangeError` for a bad length, an `Error` for a stale handle. */
  async update(changes: UploadChanges, signal: AbortSignal): Promise<Upload> {
    signal.throwIfAborted()
    const entry = this.#current()
    const { length, completionPending, awaitedBy, delivered } = changes
    if (length !== undefined) checkDeclaredLength(entry.upload, length)
    const { completionPending: _pending, awaitedBy: _awaited, delivered: _delivered, ...rest } = entry.upload
    entry.upload = {
      ...rest,
      ...(length === undefined ? {} : { length }),
      ...((completionPending ?? entry.upload.completionPending) === true ? { completionPending: true } : {}),
      ...pickAwaitedBy(awaitedBy ?? entry.upload.awaitedBy),
      ...((delivered ?? entry.upload.delivered) === true ? { delivered: true } : {}),
    }
    this.#state = entry.upload
    return this.#state
  }

  /**
   * Marks the complete upload finished; with a part size its tail becomes the last part. Safe to call again.
   * Throws `UploadIncomplete` for an upload that is not complete, `UploadNotFound`, an `Error` for a stale handle.
   */
  async finish(signal: AbortSignal): Promise<Upload> {
    signal.throwIfAborted()
    const entry = this.#current()
    if (!entry.finished) {
      if (!isComplete(entry.upload)) throw new UploadIncomplete(entry.upload.offset, entry.upload.length)
      if (entry.tail.length > 0) entry.parts.push(Buffer.concat(entry.tail))
      entry.tail = []
      const { minPartSize } = this.#store
      // The part store's own rule, checked where S3 would refuse CompleteMultipartUpload.
      if (minPartSize !== undefined && entry.parts.slice(0, -1).some((part) => part.length < minPartSize)) {
        throw new Error(`upload ${entry.upload.id} has a part other than its last below ${minPartSize} bytes`)
      }
      entry.finished = true
    }
    this.#finished = true
    this.#state = entry.upload
    return this.#state
  }

  /** Drops the bytes of this handle's last append (nothing if it made none). Throws `UploadNotFound`, an `Error` for a finished upload. */
  async rollBack(signal: AbortSignal): Promise<Upload> {
    signal.throwIfAborted()
    const entry = this.#writable('roll back')
    const undo = this.#undo
    if (undo !== undefined) {
      entry.parts.length = undo.parts
      entry.tail = undo.tail
      entry.upload = { ...entry.upload, offset: undo.offset, updatedAt: Date.now() }
      this.#undo = undefined
    }
    this.#state = entry.upload
    return this.#state
  }

  /** Removes the upload. Throws `UploadNotFound` if it is gone already. */
  async terminate(signal: AbortSignal): Promise<void> {
    signal.throwIfAborted()
    this.#live()
    this.#store.remove(this.#entry.upload.id)
  }

  /**
   * The bytes of the finished upload, or of `range` of them. Throws `UploadIncomplete` for an upload that
   * is not finished, `RangeError` for a range outside it, `UploadNotFound`.
   */
  async read(range: ByteRange | undefined, signal: AbortSignal): Promise<Readable> {
    signal.throwIfAborted()
    const entry = this.#live()
    if (!entry.finished) throw new UploadIncomplete(entry.upload.offset, entry.upload.length)
    const bytes = Buffer.concat(entry.parts)
    const { start, end } = range ?? { start: 0, end: bytes.length }
    if (!(Number.isSafeInteger(start) && Number.isSafeInteger(end) && start >= 0 && start <= end && end <= bytes.length)) {
      throw new RangeError(`range ${start}-${end} is not within the ${bytes.length} bytes of upload ${entry.upload.id}`)
    }
    return Readable.from(start === end ? [] : [bytes.subarray(start, end)], { objectMode: false })
  }

  /**
   * Makes this final upload's bytes those of the finished `partials`, in order, all or nothing; a final upload
   * of unknown length takes their sum. Throws `UploadNotFound` naming the first missing partial upload (or this
   * one), `RangeError` for uploads that are not final and partial or a length that differs, `UploadIncomplete`
   * for an unfinished partial upload.
   */
  async concatenate(partials: readonly StoredUpload[], signal: AbortSignal): Promise<Upload> {
    signal.throwIfAborted()
    const entry = this.#writable('concatenate into')
    if (entry.upload.concat?.kind !== 'final') throw new RangeError(`upload ${entry.upload.id} is not a final upload`)
    const sources = partials.map(({ state: { id } }) => {
      const source = this.#store.current(id)
      if (source === undefined) throw new UploadNotFound(id)
      if (source.upload.concat?.kind !== 'partial') throw new RangeError(`upload ${id} is not a partial upload`)
      if (!source.finished) throw new UploadIncomplete(source.upload.offset, source.upload.length)
      return source
    })
    const bytes = Buffer.concat(sources.flatMap((source) => source.parts))
    const { length } = entry.upload
    if (length !== undefined && length !== bytes.length) {
      throw new RangeError(`the partial uploads hold ${bytes.length} bytes, final upload ${entry.upload.id} ${length}`)
    }
    entry.parts = bytes.length > 0 ? [bytes] : []
    entry.tail = []
    entry.upload = { ...entry.upload, offset: bytes.length, length: bytes.length, updatedAt: Date.now() }
    this.#undo = undefined
    this.#state = entry.upload
    return this.#state
  }

  #keep(entry: Entry, chunk: Uint8Array): void {
    // A copy: the caller may reuse its buffer once the chunk is handed over.
    const bytes = Buffer.from(chunk)
    const { length, offset } = entry.upload
    if (length !== undefined && offset + bytes.length > length) {
      this.#add(entry, bytes.subarray(0, length - offset))
      throw new RangeError(`the body goes past the length of upload ${entry.upload.id} (${length} bytes)`)
    }
    this.#add(entry, bytes)
  }

  #add(entry: Entry, bytes: Buffer): void {
    if (bytes.length === 0) return
    const { minPartSize } = this.#store
    if (minPartSize === undefined) {
      entry.parts.push(bytes)
    } else {
      entry.tail.push(bytes)
      if (byteLength(entry.tail) >= minPartSize) {
        let rest = Buffer.concat(entry.tail)
        for (; rest.length >= minPartSize; rest = rest.subarray(minPartSize)) entry.parts.push(rest.subarray(0, minPartSize))
        entry.tail = rest.length > 0 ? [rest] : []
      }
    }
    entry.upload = { ...entry.upload, offset: entry.upload.offset + bytes.length, updatedAt: Date.now() }
  }

  /** The entry, if the upload still exists. */
  #live(): Entry {
    if (this.#store.current(this.#entry.upload.id) !== this.#entry) throw new UploadNotFound(this.#entry.upload.id)
    return this.#entry
  }

  /** The entry, if it exists and nothing wrote to it since this handle last saw it. */
  #current(): Entry {
    const entry = this.#live()
    if (entry.upload !== this.#state) throw new Error(`upload ${entry.upload.id} changed since this handle read it`)
    return entry
  }

  /** The entry, if current and not finished: bytes can change. */
  #writable(action: string): Entry {
    const entry = this.#current()
    if (entry.finished) throw new Error(`cannot ${action} upload ${entry.upload.id}: it is finished`)
    return entry
  }
}

function pickAwaitedBy(awaitedBy: readonly string[] | undefined): { awaitedBy?: readonly string[] } {
  return awaitedBy === undefined || awaitedBy.length === 0 ? {} : { awaitedBy: [...awaitedBy] }
}

function byteLength(buffers: readonly Buffer[]): number {
  return buffers.reduce((sum, buffer) => sum + buffer.length, 0)
}
