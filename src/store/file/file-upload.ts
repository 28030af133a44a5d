import { constants } from 'node:fs'
import { access, unlink } from 'node:fs/promises'
import { Readable } from 'node:stream'
import { UploadIncomplete, UploadNotFound } from '../../model/errors.js'
import { isComplete, type ByteRange, type Upload } from '../../model/upload.js'
import { consumeBody } from '../consume-body.js'
import { checkDeclaredLength } from '../length-rules.js'
import type { StoredUpload, UploadChanges } from '../store.js'
import { uploadFromInfo, withChanges } from '../tusd-info.js'
import { concatenateFiles } from './concatenate-files.js'
import { FileAppender } from './file-appender.js'
import { isNotFound, shortageFact } from './fs-errors.js'
import { OpenFile } from './open-file.js'
import { writeFileAtomic } from './temporary-files.js'

/** What a handle needs of its `FileStore`. */
export interface FileUploadContext {
  readonly fsync: boolean
  /** The data and `.info` paths of an upload; throws `UploadNotFound` for an id that is not one. */
  paths(id: string): { readonly data: string; readonly info: string }
}

// Without O_CREAT: a terminated upload fails with ENOENT instead of coming back. O_APPEND: every write goes
// to the end, so a write can never leave a hole or overwrite a byte.
const APPEND_DATA = constants.O_WRONLY | constants.O_APPEND

/**
 * A handle on one upload of a `FileStore`: `.info` as parsed at `open` (rewritten with every field kept)
 * and the state, which follows each of this handle's calls without reading the disk again.
 */
export class FileUpload implements StoredUpload {
  readonly #context: FileUploadContext
  #state: Upload
  #info: Record<string, unknown>
  /** The data file, open since `create`, for an append that starts in the same turn of the event loop. */
  #fresh: OpenFile | undefined
  /** The offset before this handle's last append, until it is rolled back. */
  #lastAppendFrom: number | undefined

  constructor(context: FileUploadContext, state: Upload, info: Record<string, unknown>, fresh?: OpenFile) {
    this.#context = context
    this.#state = state
    this.#info = info
    if (fresh !== undefined) {
      this.#fresh = fresh
      // A handle may be dropped without an append (a creation without body): the descriptor must not wait for
      // the garbage collector. A creation with a body appends within the same turn, before this runs.
      setImmediate(() => this.#closeFresh())
    }
  }

  get state(): Upload {
    return this.#state
  }

  /** A complete upload is finished: the data file is the upload, there is nothing to assemble. */
  get finished(): boolean {
    return isComplete(this.#state)
  }

  /**
   * Appends the body to the data file as it arrives, one write in flight while the next chunks are read,
   * and resolves with the new offset once every byte is written (and flushed, with `fsync`). An aborted
   * signal stops the reading at once; what arrived is written. Throws `UploadNotFound`, `StorageFull` with
   * the offset kept when the disk fills up, or the body's error after writing what came before it.
   */
  async append(body: AsyncIterable<Uint8Array>, signal: AbortSignal): Promise<Upload> {
    const from = this.#state.offset
    const file = this.#takeFresh() ?? (await this.#openData(APPEND_DATA))
    const appender = new FileAppender(file)
    let bodyFailure: { readonly error: unknown } | undefined
    let writeFailure: { readonly error: unknown } | undefined
    try {
      await consumeBody(body, signal, (chunk) => appender.push(chunk))
    } catch (error) {
      bodyFailure = { error }
    }
    try {
      await appender.flush()
      if (this.#context.fsync && appender.written > 0) await file.datasync()
    } catch (error) {
      writeFailure = { error }
    } finally {
      await file.close().catch((error: unknown) => (writeFailure ??= { error }))
    }
    this.#lastAppendFrom = from
    if (appender.written > 0) this.#state = { ...this.#state, offset: from + appender.written, updatedAt: Date.now() }
    // The disk's failure explains more than the body's (which may be the same error, passed through it).
    if (writeFailure !== undefined) {
      const { error } = writeFailure
      throw shortageFact(error, this.#state.offset)
    }
    if (bodyFailure !== undefined) throw bodyFailure.error
    return this.#state
  }

  /**
   * Rewrites `.info` atomically with `changes`, keeping every other field. Throws `UploadNotFound`,
   * `RangeError` for a bad length, `StorageFull` (nothing changed) when the disk is full.
   */
  async update(changes: UploadChanges, signal: AbortSignal): Promise<Upload> {
    signal.throwIfAborted()
    if (changes.length !== undefined) checkDeclaredLength(this.#state, changes.length)
    const { id, offset, updatedAt } = this.#state
    const path = this.#context.paths(id).info
    const info = withChanges(this.#info, changes)
    try {
      // A handle of a terminated upload must not bring its `.info` back.
      await access(path)
      await writeFileAtomic(path, JSON.stringify(info), { fsync: this.#context.fsync })
    } catch (error) {
      if (isNotFound(error)) throw new UploadNotFound(id)
      throw shortageFact(error, offset)
    }
    this.#info = info
    this.#state = uploadFromInfo(id, info, { size: offset, ...(updatedAt === undefined ? {} : { modifiedAt: updatedAt }) }, path, this.#state.storage)
    return this.#state
  }

  /** Nothing to do for a complete upload. Throws `UploadIncomplete` for one that is not complete. */
  async finish(signal: AbortSignal): Promise<Upload> {
    signal.throwIfAborted()
    if (!isComplete(this.#state)) throw new UploadIncomplete(this.#state.offset, this.#state.length)
    return this.#state
  }

  /** Cuts the data file back to the offset before this handle's last append (nothing if it made none). Throws `UploadNotFound`. */
  async rollBack(signal: AbortSignal): Promise<Upload> {
    signal.throwIfAborted()
    const from = this.#lastAppendFrom
    if (from !== undefined && from !== this.#state.offset) {
      const file = await this.#openData('r+')
      try {
        await file.truncate(from)
        if (this.#context.fsync) await file.datasync()
      } finally {
        await file.close()
      }
      this.#state = { ...this.#state, offset: from, updatedAt: Date.now() }
    }
    this.#lastAppendFrom = undefined
    return this.#state
  }

  /** Removes `.info`, then the data file. Throws `UploadNotFound` if there is no `.info`. */
  async terminate(signal: AbortSignal): Promise<void> {
    signal.throwIfAborted()
    this.#closeFresh()
    const paths = this.#context.paths(this.#state.id)
    // `.info` first, the reverse of create: once it is gone the upload is gone, even if we stop here.
    await unlink(paths.info).catch((error: unknown) => {
      throw isNotFound(error) ? new UploadNotFound(this.#state.id) : error
    })
    await unlink(paths.data).catch((error: unknown) => {
      if (!isNotFound(error)) throw error
    })
  }

  /**
   * Streams the stored bytes, or those of `range`, never past the offset this handle knows. Throws
   * `UploadNotFound`, `RangeError` if the range is not within the stored bytes, `TooManyOpenFiles` when no file
   * descriptor is left to open the data file with (every call that opens a file may throw it).
   */
  async read(range: ByteRange | undefined, signal: AbortSignal): Promise<Readable> {
    signal.throwIfAborted()
    const size = this.#state.offset
    const { start, end } = range ?? { start: 0, end: size }
    if (!(Number.isSafeInteger(start) && Number.isSafeInteger(end) && start >= 0 && start <= end && end <= size)) {
      throw new RangeError(`range ${start}-${end} is not within the ${size} stored bytes`)
    }
    const file = await this.#openData('r')
    if (start === end) {
      await file.close()
      return Readable.from([], { objectMode: false })
    }
    // `end` of a read stream is inclusive; the stream closes the file when it ends or is destroyed.
    return file.createReadStream({ start, end: end - 1 })
  }

  /**
   * Replaces the data file with the partial uploads' bytes, in order, all or nothing (`concatenateFiles`),
   * then declares the length if it was unknown. Throws `UploadNotFound` naming the first missing partial
   * upload (or this one), `RangeError` for uploads that are not final and partial or a length that differs,
   * `UploadIncomplete` for an unfinished partial upload, `StorageFull` (nothing changed) when the disk is full.
   */
  async concatenate(partials: readonly StoredUpload[], signal: AbortSignal): Promise<Upload> {
    signal.throwIfAborted()
    const { id, length, concat } = this.#state
    if (concat?.kind !== 'final') throw new RangeError(`upload ${id} is not a final upload`)
    const sources = partials.map((partial) => {
      const { state } = partial
      if (state.concat?.kind !== 'partial') throw new RangeError(`upload ${state.id} is not a partial upload`)
      if (!partial.finished) throw new UploadIncomplete(state.offset, state.length)
      return { id: state.id, path: this.#context.paths(state.id).data, bytes: state.offset }
    })
    const total = sources.reduce((sum, source) => sum + source.bytes, 0)
    if (length !== undefined && length !== total) throw new RangeError(`the partial uploads hold ${total} bytes, final upload ${id} ${length}`)
    try {
      await concatenateFiles(sources, this.#context.paths(id).data, { fsync: this.#context.fsync, signal })
    } catch (error) {
      if (isNotFound(error)) throw new UploadNotFound(sources.find((source) => source.path === error.path)?.id ?? id)
      throw shortageFact(error, this.#state.offset)
    }
    this.#lastAppendFrom = undefined
    this.#state = { ...this.#state, offset: total, updatedAt: Date.now() }
    // After the bytes: a crash in between leaves a final upload that is not complete, which the service settles again.
    if (length === undefined) await this.update({ length: total }, signal)
    return this.#state
  }

  async #openData(flags: string | number): Promise<OpenFile> {
    try {
      return await OpenFile.open(this.#context.paths(this.#state.id).data, flags)
    } catch (error) {
      throw isNotFound(error) ? new UploadNotFound(this.#state.id) : shortageFact(error)
    }
  }

  #takeFresh(): OpenFile | undefined {
    const fresh = this.#fresh
    this.#fresh = undefined
    return fresh
  }

  #closeFresh(): void {
    this.#takeFresh()
      ?.close()
      .catch(() => undefined)
  }
}
