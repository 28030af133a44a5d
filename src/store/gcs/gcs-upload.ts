import { Readable } from 'node:stream'
import { StoreUnavailable, UploadIncomplete, UploadNotFound } from '../../model/errors.js'
import { isComplete, type ByteRange, type Upload } from '../../model/upload.js'
import { checkDeclaredLength } from '../length-rules.js'
import type { StoredUpload, UploadChanges } from '../store.js'
import { uploadFromInfo, withChanges } from '../tusd-info.js'
import { appendChunks } from './chunk-appender.js'
import { composeObjects } from './compose.js'
import { finalObjectInit } from './final-object.js'
import type { GcsBucket } from './gcs-bucket.js'
import { isNotFound, isPreconditionFailed, storeError } from './gcs-errors.js'
import type { Chunk, ObjectInfo, UploadNames } from './gcs-objects.js'
import type { RetryBuffers } from './retry-buffers.js'

/** What a handle needs of its `GcsStore`. */
export interface GcsContext {
  readonly bucket: GcsBucket
  /** The buffers that keep pieces in flight; their size is the largest chunk object an append writes. */
  readonly buffers: RetryBuffers
  readonly abortGraceMs: number
}

/** The stored objects a handle starts from. */
export interface GcsUploadObjects {
  readonly infoGeneration: string
  readonly chunks: readonly Chunk[]
  readonly final?: ObjectInfo
}

/**
 * A handle on one upload of a `GcsStore`: `.info` as read at `open` (rewritten with every field kept, on
 * the condition that it is still the generation read), the chunk objects listed then, and the state, which
 * follows each of this handle's calls. See `GcsStore` for the layout.
 */
export class GcsUpload implements StoredUpload {
  readonly #context: GcsContext
  readonly #names: UploadNames
  #state: Upload
  #info: Record<string, unknown>
  #infoGeneration: string
  #chunks: Chunk[]
  #final: ObjectInfo | undefined
  /** Where this handle's last append started, until it is rolled back. */
  #lastAppend: { readonly index: number } | undefined
  /** An append left a chunk object GCS may have stored without confirming it: the chunks must be listed again. */
  #uncertain = false

  constructor(context: GcsContext, names: UploadNames, state: Upload, info: Record<string, unknown>, objects: GcsUploadObjects) {
    this.#context = context
    this.#names = names
    this.#state = state
    this.#info = info
    this.#infoGeneration = objects.infoGeneration
    this.#chunks = [...objects.chunks]
    this.#final = objects.final
  }

  get state(): Upload {
    return this.#state
  }

  /** The chunks are composed into `<key>` and the upload is complete. */
  get finished(): boolean {
    return this.#final !== undefined && isComplete(this.#state)
  }

  /**
   * Appends the body as new chunk objects (see `appendChunks`), each confirmed by GCS before it counts.
   * Throws `UploadNotFound` (checked before the first byte is written), `StoreUnavailable` with the bytes
   * kept when GCS fails past its retries or, after an abort, does not confirm the last bytes within the grace period, the body's error after keeping what came before it, `RangeError`
   * for a final upload, an `Error` for a byte sent to a finished upload or a handle whose last append is uncertain.
   */
  async append(body: AsyncIterable<Uint8Array>, signal: AbortSignal): Promise<Upload> {
    const { id, offset, concat } = this.#state
    if (concat?.kind === 'final') throw new RangeError(`upload ${id} is a final upload: it takes no bytes`)
    if (this.#uncertain) throw new Error(`upload ${id} may hold a chunk this handle does not know: open it again`)
    if (signal.aborted) return this.#state
    const { bucket, buffers, abortGraceMs } = this.#context
    const index = (this.#chunks.at(-1)?.index ?? -1) + 1
    // Started at once, awaited before the first byte is written: a terminated upload must not come back.
    const present = bucket.stat(this.#names.info, signal)
    present.catch(() => undefined)
    const stillThere = async (): Promise<void> => {
      // An empty body is fine on a finished upload (the draft replays a completion that way); a byte is not.
      if (this.#final !== undefined) throw new Error(`upload ${id} is finished: its bytes cannot change`)
      if ((await present) === undefined) throw new UploadNotFound(id)
    }
    const outcome = await appendChunks(body, signal, { api: bucket.api, names: this.#names, firstIndex: index, buffers, abortGraceMs, stillThere })
    this.#lastAppend = { index }
    this.#uncertain = outcome.uncertain
    if (outcome.chunks.length > 0) {
      this.#chunks.push(...outcome.chunks)
      const added = outcome.chunks.reduce((sum, chunk) => sum + chunk.size, 0)
      this.#state = { ...this.#state, offset: offset + added, updatedAt: Date.now() }
    }
    if (outcome.failure !== undefined) throw storeError(outcome.failure.error, this.#state.offset)
    // Asked to stop, and GCS did not confirm the last bytes in time: the client must hear that they are not stored.
    if (outcome.cut) throw new StoreUnavailable(this.#state.offset, { cause: signal.reason })
    return this.#state
  }

  /**
   * Rewrites `.info` with `changes`, every other field kept, if it is still the generation this handle
   * read. Throws `UploadNotFound`, `RangeError` for a bad length, `StoreUnavailable`, and an `Error` when
   * another handle rewrote `.info` since.
   */
  async update(changes: UploadChanges, signal: AbortSignal): Promise<Upload> {
    signal.throwIfAborted()
    if (changes.length !== undefined) checkDeclaredLength(this.#state, changes.length)
    const { id, offset, updatedAt } = this.#state
    const info = withChanges(this.#info, changes)
    const name = this.#names.info
    const { bucket } = this.#context
    try {
      const written = await bucket.write(name, Buffer.from(JSON.stringify(info)), { ifGenerationMatch: this.#infoGeneration, contentType: 'application/json' }, signal)
      this.#infoGeneration = written.generation
    } catch (error) {
      if (!isPreconditionFailed(error)) throw storeError(error)
      if ((await bucket.stat(name, signal).catch((failure: unknown) => Promise.reject(storeError(failure)))) === undefined) throw new UploadNotFound(id)
      throw new Error(`upload ${id} was changed since this handle read it`, { cause: error })
    }
    this.#info = info
    const bytes = { size: offset, ...(updatedAt === undefined ? {} : { modifiedAt: updatedAt }) }
    this.#state = uploadFromInfo(id, info, bytes, `gs://${bucket.name}/${name}`, this.#names.storage(bucket.name))
    return this.#state
  }

  /**
   * Composes the chunk objects, listed afresh, into `<key>` (32 at a time, CRC32C checked), with the
   * metadata as custom metadata, then deletes the chunks; an empty upload gets an empty `<key>`. Nothing to
   * do once finished. Throws `UploadIncomplete`, `StoreUnavailable`, and an `Error` when the chunks do not
   * hold the upload's length or a compose does not match its sources.
   */
  async finish(signal: AbortSignal): Promise<Upload> {
    signal.throwIfAborted()
    if (this.finished) return this.#state
    const { id, offset, length } = this.#state
    if (!isComplete(this.#state)) throw new UploadIncomplete(offset, length)
    const { bucket } = this.#context
    try {
      const objects = this.#names.classify(await bucket.listAll(this.#names.key, signal))
      let final = objects.final
      if (final === undefined) {
        const stored = objects.chunks.reduce((sum, chunk) => sum + chunk.size, 0)
        if (stored !== length) throw new Error(`the chunk objects of upload ${id} hold ${stored} bytes, not its ${length}`)
        final = await this.#writeFinal(objects.chunks, signal)
      }
      this.#final = final
      this.#chunks = []
      this.#uncertain = false
      // Best effort: `<key>` is the upload now; a chunk left behind is a leftover `sweepLeftovers` removes.
      await bucket.removeAll([...objects.chunks, ...objects.temporaries].map(({ name }) => name), signal)
    } catch (error) {
      throw storeError(error)
    }
    return this.#state
  }

  /**
   * Deletes the chunk objects of this handle's last append, as listed now (one whose answer was lost
   * included), newest first, so that a crash in between leaves the upload whole at a shorter offset.
   * Throws `StoreUnavailable` (with the bytes stored then).
   */
  async rollBack(signal: AbortSignal): Promise<Upload> {
    signal.throwIfAborted()
    const last = this.#lastAppend
    if (last === undefined) return this.#state
    const { bucket } = this.#context
    try {
      const { chunks } = this.#names.classify(await bucket.listAll(this.#names.key, signal))
      for (const chunk of chunks.filter(({ index }) => index >= last.index).reverse()) await bucket.remove(chunk.name, signal)
      this.#chunks = chunks.filter(({ index }) => index < last.index)
    } catch (error) {
      throw storeError(error, this.#state.offset)
    }
    this.#lastAppend = undefined
    this.#uncertain = false
    const offset = this.#chunks.reduce((sum, chunk) => sum + chunk.size, 0)
    this.#state = { ...this.#state, offset, updatedAt: Date.now() }
    return this.#state
  }

  /**
   * Deletes `<key>`, the chunk objects newest first (a crash in between leaves a shorter, whole upload that
   * a client can delete again), leftovers, and `.info` last, as tusd does. Throws `UploadNotFound` when
   * there is no `.info`, `StoreUnavailable`.
   */
  async terminate(signal: AbortSignal): Promise<void> {
    signal.throwIfAborted()
    const { bucket } = this.#context
    try {
      const objects = this.#names.classify(await bucket.listAll(this.#names.key, signal))
      if (objects.final !== undefined) await bucket.remove(objects.final.name, signal)
      for (const chunk of [...objects.chunks].reverse()) await bucket.remove(chunk.name, signal)
      for (const { name } of objects.temporaries) await bucket.remove(name, signal)
      if (!(await bucket.remove(this.#names.info, signal))) throw new UploadNotFound(this.#state.id)
    } catch (error) {
      throw storeError(error)
    }
  }

  /**
   * Streams `<key>`, or `range` of it, once GCS has answered (so a failure is reported, not a cut
   * response); `signal` destroys the stream. Throws `UploadIncomplete` for an unfinished upload,
   * `RangeError` for a range outside it, `UploadNotFound`, `StoreUnavailable`.
   */
  async read(range: ByteRange | undefined, signal: AbortSignal): Promise<Readable> {
    signal.throwIfAborted()
    const final = this.#final
    if (final === undefined || !this.finished) throw new UploadIncomplete(this.#state.offset, this.#state.length)
    const size = final.size
    const { start, end } = range ?? { start: 0, end: size }
    if (!(Number.isSafeInteger(start) && Number.isSafeInteger(end) && start >= 0 && start <= end && end <= size)) {
      throw new RangeError(`range ${start}-${end} is not within the ${size} bytes of upload ${this.#state.id}`)
    }
    if (start === end) return Readable.from([], { objectMode: false })
    let stream: Readable
    try {
      stream = await this.#context.bucket.read(final.name, range, signal)
    } catch (error) {
      throw isNotFound(error) ? new UploadNotFound(this.#state.id) : storeError(error)
    }
    const abort = (): void => void stream.destroy(signal.reason as Error)
    signal.addEventListener('abort', abort, { once: true })
    stream.once('close', () => signal.removeEventListener('abort', abort))
    return stream
  }

  /**
   * Composes the finished partial uploads' objects, in order (a repeat included), into `<key>`, checked as
   * `finish` does, and declares the length if it was unknown. Throws `UploadNotFound` naming the first
   * missing partial upload, `RangeError` for uploads that are not final and partial or a length that
   * differs, `UploadIncomplete` for an unfinished partial upload, `TypeError` for a handle of another store.
   */
  async concatenate(partials: readonly StoredUpload[], signal: AbortSignal): Promise<Upload> {
    signal.throwIfAborted()
    const { id, length, concat, metadata } = this.#state
    if (concat?.kind !== 'final') throw new RangeError(`upload ${id} is not a final upload`)
    const sources = partials.map((partial) => {
      if (!(partial instanceof GcsUpload)) throw new TypeError(`upload ${partial.state.id} is not stored on GCS`)
      const { state } = partial
      if (state.concat?.kind !== 'partial') throw new RangeError(`upload ${state.id} is not a partial upload`)
      if (partial.#final === undefined || !partial.finished) throw new UploadIncomplete(state.offset, state.length)
      return { id: state.id, object: partial.#final }
    })
    const total = sources.reduce((sum, { object }) => sum + object.size, 0)
    if (length !== undefined && length !== total) throw new RangeError(`the partial uploads hold ${total} bytes, final upload ${id} ${length}`)
    const { bucket } = this.#context
    try {
      this.#final = sources.length === 0
        ? await this.#writeFinal([], signal)
        : await composeObjects(bucket, sources.map(({ object }) => object), this.#names.final, (level, i) => this.#names.temporary(level, i), finalObjectInit(metadata), signal)
    } catch (error) {
      if (!isNotFound(error)) throw storeError(error)
      for (const { id: partialId, object } of sources) {
        const now = await bucket.stat(object.name, signal).catch((failure: unknown) => Promise.reject(storeError(failure)))
        if (now?.generation !== object.generation) throw new UploadNotFound(partialId)
      }
      throw error
    }
    this.#lastAppend = undefined
    this.#state = { ...this.#state, offset: total, updatedAt: Date.now() }
    // After the bytes: a crash in between leaves a final upload that is not complete, which the service settles again.
    if (length === undefined) await this.update({ length: total }, signal)
    return this.#state
  }

  /** `<key>` from `chunks` (composed), or empty for an upload of no bytes. */
  async #writeFinal(chunks: readonly ObjectInfo[], signal: AbortSignal): Promise<ObjectInfo> {
    const { bucket } = this.#context
    const init = finalObjectInit(this.#state.metadata)
    const names = this.#names
    if (chunks.length > 0) return composeObjects(bucket, chunks, names.final, (level, i) => names.temporary(level, i), init, signal)
    const empty = await bucket.write(names.final, new Uint8Array(0), { ifGenerationMatch: 0, ...(init.contentType === undefined ? {} : { contentType: init.contentType }) }, signal)
    if (init.metadata !== undefined) await bucket.setMetadata(names.final, init.metadata, signal)
    return empty
  }
}

