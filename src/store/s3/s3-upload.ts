import { Readable } from 'node:stream'
import { StorageFull, UploadIncomplete, UploadNotFound } from '../../model/errors.js'
import { isComplete, type ByteRange, type Upload } from '../../model/upload.js'
import { checkDeclaredLength } from '../length-rules.js'
import type { StoredUpload, UploadChanges } from '../store.js'
import { uploadFromInfo, withChanges } from '../tusd-info.js'
import type { PartBuffer } from './part-buffer.js'
import { appendParts, type StoredBytes } from './s3-append.js'
import type { BodySource } from './s3-calls.js'
import type { ListedPart } from './s3-multipart.js'
import { concatenateInto } from './s3-concatenate.js'
import type { S3Context } from './s3-context.js'
import { isNotFound, storeError } from './s3-errors.js'

/** How to undo the last append: the parts before it, and the `.part` bytes it merged (kept in a buffer). */
interface Undo {
  readonly parts: readonly ListedPart[]
  readonly tail: PartBuffer | undefined
  readonly timer: NodeJS.Timeout
}

const EMPTY: BodySource = { size: 0, open: () => new Uint8Array(0) }

// For the writes that must happen after a request was released (they end by the client's socket timeouts).
const NEVER = new AbortController().signal

/**
 * A handle on one upload of an `S3Store`, for one request: the `.info` JSON, the parts and the `.part`
 * bytes as `open` read them, then as this handle's own calls left them. See `S3Store` for the layout.
 */
export class S3Upload implements StoredUpload {
  readonly #context: S3Context
  readonly #objectId: string
  readonly #multipartId: string
  #info: Record<string, unknown>
  #state: Upload
  #finished: boolean
  #bytes: StoredBytes
  #undo: Undo | undefined

  constructor(
    context: S3Context,
    ids: { readonly objectId: string; readonly multipartId: string },
    info: Record<string, unknown>,
    state: Upload,
    finished: boolean,
    bytes: StoredBytes,
  ) {
    this.#context = context
    this.#objectId = ids.objectId
    this.#multipartId = ids.multipartId
    this.#info = info
    this.#state = state
    this.#finished = finished
    this.#bytes = bytes
  }

  get state(): Upload {
    return this.#state
  }

  /** True once the multipart upload is completed: the object holds the upload. */
  get finished(): boolean {
    return this.#finished
  }

  /**
   * Streams the body into parts (see `PartPipeline`) and commits them with the bytes after the last part
   * as `.part` (see upload-layout.ts); resolves with the offset S3 holds. An aborted signal stops the
   * reading at once: parts in flight may finish within the store's grace period, then what S3 confirmed is
   * committed (a lost lock commits nothing more). Throws `UploadNotFound`, `StoreUnavailable` (with the
   * offset kept) when S3 cannot be reached, the body's error after keeping what came before it, `RangeError`
   * past the length (after keeping the bytes up to it) or for a final upload, an `Error` for bytes to a finished upload.
   */
  async append(body: AsyncIterable<Uint8Array>, signal: AbortSignal): Promise<Upload> {
    if (this.#state.concat?.kind === 'final') throw new RangeError(`upload ${this.#state.id} is a final upload: it takes no bytes`)
    return this.#append(body, signal, this.#state.length)
  }

  /** Writes `.info` again with `changes`, keeping every other field. Throws `UploadNotFound`, `RangeError` for a bad length. */
  async update(changes: UploadChanges, signal: AbortSignal): Promise<Upload> {
    signal.throwIfAborted()
    if (changes.length !== undefined) checkDeclaredLength(this.#state, changes.length)
    const { bucket } = this.#context
    // A handle of a terminated upload must not bring its `.info` back.
    if (!(await bucket.hasInfo(this.#objectId, signal))) throw new UploadNotFound(this.#state.id)
    const info = withChanges(this.#info, changes)
    await bucket.writeInfo(this.#objectId, JSON.stringify(info), signal)
    this.#info = info
    this.#state = this.#stateFrom(info, this.#state.offset, this.#state.updatedAt)
    return this.#state
  }

  /**
   * Completes the multipart upload: the bytes of `.part` become the last part (an empty part for an empty
   * upload, as tusd does), then CompleteMultipartUpload with every part; `.info` stays as it is (tusd never
   * updates it) and `.part` goes. Safe to call again. Throws `UploadIncomplete` for an upload that is not
   * complete, `UploadNotFound`, `StoreUnavailable`.
   */
  async finish(signal: AbortSignal): Promise<Upload> {
    signal.throwIfAborted()
    if (this.#finished) return this.#state
    if (!isComplete(this.#state)) throw new UploadIncomplete(this.#state.offset, this.#state.length)
    const { bucket } = this.#context
    const parts = [...this.#bytes.parts]
    if (this.#bytes.tail > 0 || parts.length === 0) parts.push(await this.#uploadTailAsPart(parts.length + 1, signal))
    try {
      await bucket.multipart.complete(this.#objectId, this.#multipartId, parts, signal)
    } catch (error) {
      // An answer lost on the way, then a retry of the client: the upload may be complete already.
      if (!(isNotFound(error) && (await bucket.headData(this.#objectId, signal)) !== undefined)) throw this.#storeError(error, signal)
    }
    this.#finished = true
    this.#bytes = { parts, tail: 0, recorded: true }
    this.#dropUndo()
    // The record of the bytes is of no use once the object holds them; a leftover is harmless.
    await bucket.deleteTail(this.#objectId, signal).catch(() => undefined)
    return this.#state
  }

  /**
   * Drops the bytes of this handle's last append: writes back the record (and `.part` bytes) it replaced,
   * so the parts it uploaded count no more. Nothing if it made none, or if it was too long ago (the
   * store's undo lifetime). Throws `StoreUnavailable`, an `Error` for a finished upload.
   */
  async rollBack(signal: AbortSignal): Promise<Upload> {
    signal.throwIfAborted()
    const undo = this.#undo
    if (undo === undefined) return this.#state
    if (this.#finished) throw new Error(`cannot roll back upload ${this.#state.id}: it is finished`)
    const tail = undo.tail?.source() ?? EMPTY
    const now = Date.now()
    await this.#context.bucket.writeTail(this.#objectId, { committedParts: undo.parts.length, updatedAt: now }, tail, signal)
    this.#dropUndo()
    this.#bytes = { parts: undo.parts, tail: tail.size, recorded: true }
    this.#state = { ...this.#state, offset: sumOf(undo.parts) + tail.size, updatedAt: now }
    return this.#state
  }

  /**
   * Aborts the multipart upload and removes the object, `.part` and, last, `.info` (tusd's terminate): a
   * termination cut short leaves at most an `.info` whose upload opens as not found. Throws `UploadNotFound`.
   */
  async terminate(signal: AbortSignal): Promise<void> {
    signal.throwIfAborted()
    const { bucket } = this.#context
    if (!(await bucket.hasInfo(this.#objectId, signal))) throw new UploadNotFound(this.#state.id)
    this.#dropUndo()
    await Promise.all([
      bucket.multipart.abort(this.#objectId, this.#multipartId, signal),
      bucket.deleteData(this.#objectId, signal),
      bucket.deleteTail(this.#objectId, signal),
    ])
    await bucket.deleteInfo(this.#objectId, signal)
  }

  /**
   * The finished upload's bytes, or those of `range`, as a ranged GET streamed through (never read whole).
   * Throws `RangeError` for a range outside the upload, `UploadNotFound`, `StoreUnavailable`.
   */
  async read(range: ByteRange | undefined, signal: AbortSignal): Promise<Readable> {
    signal.throwIfAborted()
    const size = this.#state.offset
    const { start, end } = range ?? { start: 0, end: size }
    if (!(Number.isSafeInteger(start) && Number.isSafeInteger(end) && start >= 0 && start <= end && end <= size)) {
      throw new RangeError(`range ${start}-${end} is not within the ${size} bytes of upload ${this.#state.id}`)
    }
    if (start === end) return Readable.from([], { objectMode: false })
    const stream = await this.#context.bucket.readData(this.#objectId, { start, end }, signal)
    if (stream === undefined) throw new UploadNotFound(this.#state.id)
    return stream
  }

  /**
   * Makes this final upload's bytes those of the finished `partials`, in order (see `concatenateInto`:
   * UploadPartCopy where the parts allow it, a streamed copy otherwise), all or nothing, then declares the
   * length if it was unknown. Throws `UploadNotFound` naming a missing partial upload, `RangeError` for
   * uploads that are not final and partial or a length that differs, `UploadIncomplete` for an unfinished
   * partial upload, `StoreUnavailable`.
   */
  async concatenate(partials: readonly StoredUpload[], signal: AbortSignal): Promise<Upload> {
    signal.throwIfAborted()
    const { id, length, concat } = this.#state
    if (concat?.kind !== 'final') throw new RangeError(`upload ${id} is not a final upload`)
    const sources = partials.map((partial) => {
      const { state } = partial
      if (state.concat?.kind !== 'partial') throw new RangeError(`upload ${state.id} is not a partial upload`)
      if (!partial.finished || !(partial instanceof S3Upload)) throw new UploadIncomplete(state.offset, state.length)
      return { id: state.id, objectId: partial.#objectId, size: state.offset }
    })
    const total = sources.reduce((sum, source) => sum + source.size, 0)
    if (length !== undefined && length !== total) throw new RangeError(`the partial uploads hold ${total} bytes, final upload ${id} ${length}`)
    if (this.#state.offset !== 0) throw new Error(`final upload ${id} holds bytes already`)
    const work = await concatenateInto(this.#context, { objectId: this.#objectId, multipartId: this.#multipartId }, sources, signal)
    if (work.kind === 'copied') {
      await this.#commit(work.parts, signal)
    } else {
      // All or nothing: a copy that stops early (an error, a release request) leaves the final upload empty.
      let copied: Upload | undefined
      try {
        copied = await this.#append(work.body, signal, total)
      } finally {
        if (copied?.offset !== total) await this.#commit([], NEVER).catch(() => undefined)
      }
      if (copied.offset !== total) {
        signal.throwIfAborted()
        throw new Error(`the concatenation into final upload ${id} stopped after ${copied.offset} of ${total} bytes`)
      }
    }
    this.#dropUndo()
    // After the bytes: a crash in between leaves a final upload that is not complete, which the service settles again.
    if (length === undefined) await this.update({ length: total }, signal)
    return this.#state
  }

  /** The append algorithm (`appendParts`), also for a concatenation's streamed copy (with the final length as `length`). */
  async #append(body: AsyncIterable<Uint8Array>, signal: AbortSignal, length: number | undefined): Promise<Upload> {
    this.#dropUndo()
    const before = this.#bytes
    const outcome = await appendParts(
      this.#context,
      {
        id: this.#state.id,
        objectId: this.#objectId,
        multipartId: this.#multipartId,
        bytes: before,
        offset: this.#state.offset,
        finished: this.#finished,
        updatedAt: this.#state.updatedAt,
      },
      body,
      signal,
      length,
    )
    if (outcome.recorded) this.#bytes = { ...this.#bytes, recorded: true }
    const { stored, failure } = outcome
    if (stored !== undefined) {
      this.#bytes = stored.bytes
      this.#state = { ...this.#state, offset: sumOf(stored.bytes.parts) + stored.bytes.tail, updatedAt: stored.updatedAt }
      this.#keepUndo(before.parts, stored.merged)
    }
    if (failure !== undefined) throw failure.kind === 'store' ? this.#storeError(failure.error) : failure.error
    return this.#state
  }

  /** Commits `parts` (and no `.part` bytes) as the upload's bytes: for a concatenation. */
  async #commit(parts: ListedPart[], signal: AbortSignal): Promise<void> {
    const now = Date.now()
    await this.#context.bucket.writeTail(this.#objectId, { committedParts: parts.length, updatedAt: now }, EMPTY, signal)
    this.#bytes = { parts, tail: 0, recorded: true }
    this.#state = { ...this.#state, offset: sumOf(parts), updatedAt: now }
  }

  /** Uploads the `.part` bytes (none for an empty upload) as part `number`, through a buffer so a retry can read them again. */
  async #uploadTailAsPart(number: number, signal: AbortSignal): Promise<ListedPart> {
    const { bucket, buffers } = this.#context
    const buffer = await buffers.create()
    try {
      if (this.#bytes.tail > 0) {
        const stream = await bucket.readTail(this.#objectId, signal)
        if (stream === undefined) throw new UploadNotFound(this.#state.id)
        for await (const chunk of stream as AsyncIterable<Uint8Array>) await buffer.write(chunk)
        await buffer.flush()
        if (buffer.size !== this.#bytes.tail) throw new Error(`upload ${this.#state.id} changed since this handle read it`)
      }
      const source = buffer.source()
      const etag = await bucket.multipart.uploadPart(this.#objectId, this.#multipartId, number, source, signal)
      return { number, size: source.size, etag }
    } catch (error) {
      throw this.#storeError(error, signal)
    } finally {
      await buffer.dispose()
    }
  }

  #keepUndo(parts: readonly ListedPart[], tail: PartBuffer | undefined): void {
    // Only the request that appended rolls back, at once: a handle kept longer frees the bytes.
    const timer = setTimeout(() => this.#dropUndo(), this.#context.undoLifetimeMs)
    timer.unref()
    this.#undo = { parts, tail, timer }
  }

  #dropUndo(): void {
    const undo = this.#undo
    this.#undo = undefined
    if (undo === undefined) return
    clearTimeout(undo.timer)
    void undo.tail?.dispose().catch(() => undefined)
  }

  /**
   * What a failure of S3 means for the client: `UploadNotFound` for a multipart upload that is gone,
   * `StorageFull` for a full temporary directory, else `storeError` (with the offset kept).
   */
  #storeError(error: unknown, signal?: AbortSignal): unknown {
    if (isNotFound(error)) return new UploadNotFound(this.#state.id)
    if ((error as NodeJS.ErrnoException | undefined)?.code === 'ENOSPC') return new StorageFull(this.#state.offset, { cause: error })
    return storeError(error, signal, this.#state.offset)
  }

  #stateFrom(info: Record<string, unknown>, offset: number, updatedAt: number | undefined): Upload {
    const state = uploadFromInfo(this.#state.id, info, { size: offset, ...(updatedAt === undefined ? {} : { modifiedAt: updatedAt }) }, this.#context.bucket.keys.info(this.#objectId))
    return this.#state.createdAt !== undefined && state.createdAt === undefined ? { ...state, createdAt: this.#state.createdAt } : state
  }
}

function sumOf(parts: readonly ListedPart[]): number {
  return parts.reduce((sum, part) => sum + part.size, 0)
}
