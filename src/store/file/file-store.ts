import { constants } from 'node:fs'
import { opendir, rm } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { UploadNotFound } from '../../model/errors.js'
import { makeDirectory } from '../../model/make-directory.js'
import type { UploadInit } from '../../model/upload.js'
import type { Store, StoreCapabilities } from '../store.js'
import { newInfo, parseInfo, uploadFromInfo, type TusdStorage } from '../tusd-info.js'
import { checkNewUpload } from '../length-rules.js'
import { FileUpload, type FileUploadContext } from './file-upload.js'
import { isNotFound, shortageFact } from './fs-errors.js'
import { OpenFile, statFile } from './open-file.js'
import { sweepLeftovers } from './leftovers.js'
import { FILE_MODE, markBeingWritten, syncDirectory } from './temporary-files.js'

/** Options of a `FileStore`. */
export interface FileStoreOptions {
  /** The directory holding each upload as `<id>` (data) and `<id>.info` (tusd's JSON). */
  readonly directory: string
  /**
   * Flush data and `.info` files to the disk before reporting them stored, so they survive a power loss
   * (default false: like tusd, bytes handed to the operating system survive a crash of the process).
   */
  readonly fsync?: boolean
  /**
   * How old a crash leftover must be before `sweepLeftovers` removes it, in milliseconds (default 10 minutes).
   * A live temporary file of another process sharing the directory is written to continuously, so it is never
   * this old; the default leaves room for a stalled disk and for NFS's attribute cache. 0 is right when this
   * process is the only one using the directory.
   */
  readonly leftoverGraceMs?: number
}

// The ids a file store takes: URL-safe characters only, so that an id can never be a path (`..`, `/`,
// `%2F`, NUL) or name an `.info` or temporary file. tusd's filestore ids (32 hex digits) fit.
const VALID_ID = /^[A-Za-z0-9_-]{1,128}$/

const DEFAULT_LEFTOVER_GRACE_MS = 10 * 60 * 1000

// Created for the first append: O_EXCL refuses a taken id, O_APPEND makes every write go to the end.
const CREATE_DATA = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_APPEND
const CREATE_INFO = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL

/**
 * Stores uploads on a local file system in tusd v2's filestore layout, so a directory written by tusd
 * can be served and resumed, and the other way round.
 *
 * The offset of an upload is always the size of its data file: tusd never updates `Offset` in `.info`,
 * and the data file cannot claim bytes that are not on disk; `.info` is written at creation and rewritten
 * (atomically) only when the length, completion or the final uploads awaiting it change. `finish` has
 * nothing to do: a complete upload is finished. Ids that are not upload ids (`..`, `a/b`, `x.info`) are
 * reported as `UploadNotFound` without touching the disk.
 */
export class FileStore implements Store {
  readonly capabilities: StoreCapabilities = {
    terminate: true,
    deferLength: true,
    read: true,
    rollBack: true,
    concat: true,
    expire: true,
  }
  /** The absolute path of the upload directory. */
  readonly directory: string
  readonly #context: FileUploadContext
  readonly #leftoverGraceMs: number

  /** A store over `options.directory`, which must exist (see `FileStore.open`). */
  constructor(options: FileStoreOptions) {
    this.directory = resolve(options.directory)
    this.#context = { fsync: options.fsync ?? false, paths: (id) => this.#paths(id) }
    this.#leftoverGraceMs = options.leftoverGraceMs ?? DEFAULT_LEFTOVER_GRACE_MS
  }

  /**
   * Creates `options.directory` (and its parents) if missing and returns a store over it. Throws file system
   * errors (see `makeDirectory`), `ENOTDIR` when it is a file.
   */
  static async open(options: FileStoreOptions): Promise<FileStore> {
    const store = new FileStore(options)
    await makeDirectory(store.directory)
    return store
  }

  /** Ids of 1 to 128 letters, digits, `-` and `_`: never a path, never the name of an `.info` or temporary file. */
  isValidId(id: string): boolean {
    return VALID_ID.test(id)
  }

  /**
   * Creates the empty data file, then writes `.info` straight to its name (a brand-new `.info` needs no
   * rename: see `open` for why a reader never takes a half-written one). The data file stays open for the
   * handle's first append, until the end of this turn of the event loop. Throws `RangeError` for an invalid
   * id or length, `EEXIST` if the id is taken, `StorageFull` when the disk is (leaving nothing behind), `TooManyOpenFiles`,
   * `signal.reason` if the signal is aborted.
   */
  async create(init: UploadInit, signal: AbortSignal): Promise<FileUpload> {
    signal.throwIfAborted()
    checkNewUpload(init, (id) => this.isValidId(id))
    const paths = this.#paths(init.id)
    // Until `.info` is written the files are no upload: `sweepLeftovers` must leave them alone.
    const created = markBeingWritten(paths.data)
    let data: OpenFile
    try {
      data = await OpenFile.open(paths.data, CREATE_DATA, FILE_MODE)
    } catch (error) {
      created()
      throw shortageFact(error)
    }
    const createdAt = Date.now()
    const info = newInfo(init.id, init, storageAt(paths), createdAt)
    try {
      await writeNewFile(paths.info, JSON.stringify(info), this.#context.fsync)
      // Commits both new directory entries.
      if (this.#context.fsync) await syncDirectory(this.directory)
    } catch (error) {
      await data.close()
      // Without its `.info` the data file is no upload; leaving it would only block the id. The `.info`
      // is ours too unless another creation took the id first (EEXIST).
      await rm(paths.data, { force: true })
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') await rm(paths.info, { force: true })
      throw shortageFact(error)
    } finally {
      created()
    }
    const state = uploadFromInfo(init.id, info as unknown as Record<string, unknown>, { size: 0, modifiedAt: createdAt }, paths.info, storageAt(paths))
    return new FileUpload(this.#context, state, info as unknown as Record<string, unknown>, data)
  }

  /**
   * Reads `.info` and the data file's size (the offset) and modification time (`updatedAt`: the last
   * write, with no extra write per append), once. Throws `UploadNotFound` if either file is missing, or
   * `.info` is empty: a creation in progress (its `.info` is written in one write after the file is made)
   * or one that was killed in between; its client has not been told the upload exists either way.
   * Throws `InvalidInfoFile` if `.info` holds anything else that is not tusd's JSON, `TooManyOpenFiles` when no
   * file descriptor is left.
   */
  async open(id: string, signal: AbortSignal): Promise<FileUpload> {
    if (!this.isValidId(id)) throw new UploadNotFound(id)
    signal.throwIfAborted()
    const paths = this.#paths(id)
    const [text, stats] = await Promise.all([readSmallFile(paths.info), statFile(paths.data)]).catch((error: unknown) => {
      throw isNotFound(error) ? new UploadNotFound(id) : shortageFact(error)
    })
    if (text === '') throw new UploadNotFound(id)
    const info = parseInfo(text, paths.info)
    // Where the bytes are now, whatever `.info` says: a directory tusd wrote may have been moved since.
    const state = uploadFromInfo(id, info, { size: stats.size, modifiedAt: Math.floor(stats.mtimeMs) }, paths.info, storageAt(paths))
    return new FileUpload(this.#context, state, info)
  }

  /** The id of every upload with a `.info` file, read from the directory lazily. Throws `signal.reason` once it aborts. */
  async *list(signal: AbortSignal): AsyncGenerator<string> {
    const directory = await opendir(this.directory)
    // for-await closes the directory when the loop ends, also when the caller stops early.
    for await (const entry of directory) {
      signal.throwIfAborted()
      if (!entry.name.endsWith('.info')) continue
      const id = entry.name.slice(0, -'.info'.length)
      if (this.isValidId(id)) yield id
    }
  }

  /**
   * Removes what crashes left in the directory, once older than `leftoverGraceMs` (see `sweepLeftovers` in
   * leftovers.ts): temporary files of `.info` rewrites and concatenations, data files without `.info`, and
   * empty `.info` files of creations killed before they wrote them. Never a temporary file this process is
   * writing. Resolves with the bytes freed; throws `signal.reason` once it aborts.
   */
  sweepLeftovers(signal: AbortSignal): Promise<number> {
    return sweepLeftovers(this.directory, { graceMs: this.#leftoverGraceMs, isValidId: (id) => this.isValidId(id), signal })
  }

  #paths(id: string): { data: string; info: string } {
    // The id becomes a file name: anything but an upload id (`..`, `a/b`, `x.info`) could name another file.
    if (!this.isValidId(id)) throw new UploadNotFound(id)
    return { data: join(this.directory, id), info: join(this.directory, `${id}.info`) }
  }
}

/** tusd's filestore `Storage` of an upload kept at `paths` (what tusd writes into `.info` and sends to hooks). */
function storageAt(paths: { readonly data: string; readonly info: string }): TusdStorage {
  return { Type: 'filestore', Path: paths.data, InfoPath: paths.info }
}

/** Writes `text` to a new file at `path` (EEXIST if there is one), in one write for a small text, flushed with `fsync`. */
async function writeNewFile(path: string, text: string, fsync: boolean): Promise<void> {
  const file = await OpenFile.open(path, CREATE_INFO, FILE_MODE)
  try {
    await file.writeText(text)
    if (fsync) await file.sync()
  } finally {
    await file.close()
  }
}

// Larger than any `.info` but one with very large metadata, which then takes a second read.
const SMALL_FILE_BYTES = 16 * 1024

/** The text of a small file in as few calls as can be: open, one read (more only if needed), close. */
async function readSmallFile(path: string): Promise<string> {
  const file = await OpenFile.open(path, 'r')
  try {
    const chunks: Buffer[] = []
    for (;;) {
      const buffer = Buffer.allocUnsafe(SMALL_FILE_BYTES)
      const bytesRead = await file.read(buffer, 0, SMALL_FILE_BYTES, null)
      if (bytesRead === 0) break
      chunks.push(buffer.subarray(0, bytesRead))
      if (bytesRead < SMALL_FILE_BYTES) break
    }
    return Buffer.concat(chunks).toString('utf8')
  } finally {
    await file.close()
  }
}
