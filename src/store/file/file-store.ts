import { createWriteStream, createReadStream } from 'node:fs'
import { mkdir, open, opendir, readFile, rm, stat, unlink } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { UploadNotFound } from '../../model/errors.js'
import { isValidUploadId } from '../../core/upload-id.js'
import type { Upload, UploadInit } from '../../model/upload.js'
import type { ByteRange, Store, StoreCapabilities } from '../store.js'
import { createEmptyFile, writeFileAtomic } from './atomic-write.js'
import { concatenateFiles } from './concatenate-files.js'
import { newInfo, parseInfo, uploadFromInfo, withCompletionPending, withLength, type DataFileState } from './info-file.js'

/** Options of a `FileStore`. */
export interface FileStoreOptions {
  /** The directory holding each upload as `<id>` (data) and `<id>.info` (tusd's JSON). */
  readonly directory: string
  /**
   * Flush data and `.info` files to the disk before reporting them stored, so they survive a power loss
   * (default false: like tusd, bytes handed to the operating system survive a crash of the process).
   */
  readonly fsync?: boolean
}

// Lets the write stream gather many small body chunks into one writev call; 16 KiB, the default,
// caps each call at a few chunks and costs throughput on fast disks.
const WRITE_HIGH_WATER_MARK = 1024 * 1024

/**
 * Stores uploads on a local file system in tusd v2's filestore layout, so a directory written by tusd
 * can be served and resumed, and the other way round.
 *
 * The offset of an upload is always the size of its data file: tusd never updates `Offset` in `.info`,
 * and the data file cannot claim bytes that are not on disk. Ids that are not upload ids (`..`, `a/b`,
 * `x.info`) are reported as `UploadNotFound` without touching the disk.
 */
export class FileStore implements Store {
  readonly capabilities: StoreCapabilities = {
    terminate: true,
    deferLength: true,
    read: true,
    truncate: true,
    concat: true,
    expire: true,
  }
  /** The absolute path of the upload directory. */
  readonly directory: string
  readonly #fsync: boolean

  /** A store over `options.directory`, which must exist (see `FileStore.open`). */
  constructor(options: FileStoreOptions) {
    this.directory = resolve(options.directory)
    this.#fsync = options.fsync ?? false
  }

  /** Creates `options.directory` (and its parents) if missing and returns a store over it. Throws file system errors. */
  static async open(options: FileStoreOptions): Promise<FileStore> {
    const store = new FileStore(options)
    await mkdir(store.directory, { recursive: true })
    return store
  }

  /**
   * Creates the empty data file, then the `.info`, so a visible `.info` always has its data file.
   * Throws `RangeError` for an invalid id or length, and `EEXIST` if the id is already taken.
   */
  async create(init: UploadInit): Promise<Upload> {
    if (!isValidUploadId(init.id)) throw new RangeError(`not an upload id: ${JSON.stringify(init.id)}`)
    if (init.length !== undefined && !(Number.isSafeInteger(init.length) && init.length >= 0)) {
      throw new RangeError(`not an upload length: ${init.length}`)
    }
    const paths = this.#paths(init.id)
    await createEmptyFile(paths.data)
    const createdAt = Date.now()
    const info = newInfo(init, { Type: 'filestore', Path: paths.data, InfoPath: paths.info }, createdAt)
    try {
      // writeFileAtomic syncs the directory after its rename, which also commits the data file's entry.
      await writeFileAtomic(paths.info, JSON.stringify(info), { fsync: this.#fsync })
    } catch (error) {
      // Without its `.info` the data file is no upload; leaving it would only block the id.
      await rm(paths.data, { force: true })
      throw error
    }
    return uploadFromInfo(init.id, info, { size: 0, modifiedAt: createdAt }, paths.info)
  }

  /**
   * Reads `.info` and the data file's size (the offset) and modification time (`updatedAt`: the last
   * write, with no extra write per append). Throws `UploadNotFound` if either file is missing,
   * `InvalidInfoFile` if `.info` is malformed.
   */
  async get(id: string): Promise<Upload> {
    const paths = this.#paths(id)
    const [info, data] = await Promise.all([this.#readInfo(id, paths.info), this.#dataState(id, paths.data)])
    return uploadFromInfo(id, info, data, paths.info)
  }

  /**
   * Streams `body` into the data file from `offset` and returns the offset after the last byte written.
   * With `fsync`, the bytes are flushed before this resolves. If the body throws, every byte it yielded
   * before is written and flushed, then its error is rethrown. Throws `UploadNotFound` if the data file is missing.
   */
  async append(id: string, offset: number, body: AsyncIterable<Uint8Array>): Promise<number> {
    const paths = this.#paths(id)
    // A body error must not reach the pipeline: pipeline would destroy the write stream, which drops the
    // chunks still queued in it, and the contract keeps every byte the body yielded. So the body's error
    // is caught here, the source simply ends, the stream flushes everything, and the error is rethrown after.
    let bodyFailure: { error: unknown } | undefined
    async function* guarded(): AsyncGenerator<Uint8Array> {
      try {
        yield* body
      } catch (error) {
        bodyFailure = { error }
      }
    }
    // 'r+' opens without creating or truncating: a terminated upload fails with ENOENT instead of coming back.
    // `flush` fsyncs before close, also when the stream is destroyed by an error.
    const file = createWriteStream(paths.data, {
      flags: 'r+',
      start: offset,
      flush: this.#fsync,
      highWaterMark: WRITE_HIGH_WATER_MARK,
    })
    try {
      // objectMode false: the writable then receives Buffers it can batch with writev.
      await pipeline(Readable.from(guarded(), { objectMode: false }), file)
    } catch (error) {
      if (isNotFound(error)) throw new UploadNotFound(id)
      throw error
    }
    if (bodyFailure) throw bodyFailure.error
    // bytesWritten counts only completed writes, so this never claims more than is on disk.
    return offset + file.bytesWritten
  }

  /**
   * Rewrites `.info` atomically with `Size` set and `SizeIsDeferred` false, keeping every other field.
   * Throws `UploadNotFound`, or `RangeError` if `length` is not a byte count.
   */
  async declareLength(id: string, length: number): Promise<Upload> {
    const paths = this.#paths(id)
    if (!(Number.isSafeInteger(length) && length >= 0)) throw new RangeError(`not an upload length: ${length}`)
    const info = withLength(await this.#readInfo(id, paths.info), length)
    await writeFileAtomic(paths.info, JSON.stringify(info), { fsync: this.#fsync })
    return uploadFromInfo(id, info, await this.#dataState(id, paths.data), paths.info)
  }

  /** Rewrites `.info` atomically with `completionPending` set or left out, keeping every other field. Throws `UploadNotFound`. */
  async setCompletionPending(id: string, pending: boolean): Promise<Upload> {
    const paths = this.#paths(id)
    const info = withCompletionPending(await this.#readInfo(id, paths.info), pending)
    await writeFileAtomic(paths.info, JSON.stringify(info), { fsync: this.#fsync })
    return uploadFromInfo(id, info, await this.#dataState(id, paths.data), paths.info)
  }

  /**
   * Cuts the data file back to `offset` bytes (and flushes, with `fsync`).
   * Throws `UploadNotFound`, or `RangeError` if `offset` is beyond the stored bytes.
   */
  async truncate(id: string, offset: number): Promise<void> {
    const paths = this.#paths(id)
    const size = await this.#dataSize(id, paths.data)
    if (!(Number.isSafeInteger(offset) && offset >= 0 && offset <= size)) {
      throw new RangeError(`cannot truncate to ${offset}: ${size} bytes are stored`)
    }
    const handle = await open(paths.data, 'r+')
    try {
      await handle.truncate(offset)
      if (this.#fsync) await handle.datasync()
    } finally {
      await handle.close()
    }
  }

  /** Removes `.info`, then the data file. Throws `UploadNotFound` if there is no `.info`. */
  async terminate(id: string): Promise<void> {
    const paths = this.#paths(id)
    // `.info` first, the reverse of create: once it is gone the upload is gone, even if we stop here.
    try {
      await unlink(paths.info)
    } catch (error) {
      if (isNotFound(error)) throw new UploadNotFound(id)
      throw error
    }
    try {
      await unlink(paths.data)
    } catch (error) {
      if (!isNotFound(error)) throw error
    }
  }

  /**
   * Streams the data file, or the bytes of `range` (`start` inclusive, `end` exclusive) of it.
   * Throws `UploadNotFound`, or `RangeError` if the range is not within the stored bytes.
   */
  async read(id: string, range?: ByteRange): Promise<Readable> {
    const paths = this.#paths(id)
    // Only the stored size matters here (the caller has read the upload's state): one stat, not `.info` again.
    const size = await this.#dataSize(id, paths.data)
    if (range === undefined) return createReadStream(paths.data)
    const { start, end } = range
    const valid = Number.isSafeInteger(start) && Number.isSafeInteger(end) && start >= 0 && start <= end
    if (!valid || end > size) {
      throw new RangeError(`range ${start}-${end} is not within the ${size} stored bytes`)
    }
    // createReadStream's `end` is inclusive and rejects end < start, so an empty range gets its own stream.
    if (start === end) return Readable.from([], { objectMode: false })
    return createReadStream(paths.data, { start, end: end - 1 })
  }

  /**
   * Replaces the final upload's data file with the partial uploads' data files, in order, without reading
   * any of them whole into memory; see `concatenateFiles`. Throws `UploadNotFound` naming the final upload
   * or the first partial upload that is missing.
   */
  async concatenate(id: string, partials: readonly string[]): Promise<Upload> {
    const paths = this.#paths(id)
    await this.#readInfo(id, paths.info)
    const sources = partials.map((partial) => ({ id: partial, path: this.#paths(partial).data }))
    try {
      await concatenateFiles(
        sources.map((source) => source.path),
        paths.data,
        { fsync: this.#fsync },
      )
    } catch (error) {
      const missing = isNotFound(error) ? sources.find((source) => source.path === (error as NodeJS.ErrnoException).path) : undefined
      if (missing !== undefined) throw new UploadNotFound(missing.id)
      if (isNotFound(error)) throw new UploadNotFound(id)
      throw error
    }
    return this.get(id)
  }

  /** The id of every upload with a `.info` file, read from the directory lazily. */
  async *list(): AsyncGenerator<string> {
    const directory = await opendir(this.directory)
    // for-await closes the directory when the loop ends, also when the caller stops early.
    for await (const entry of directory) {
      if (!entry.name.endsWith('.info')) continue
      const id = entry.name.slice(0, -'.info'.length)
      if (isValidUploadId(id)) yield id
    }
  }

  #paths(id: string): { data: string; info: string } {
    // The id becomes a file name: anything but an upload id (`..`, `a/b`, `x.info`) could name another file.
    if (!isValidUploadId(id)) throw new UploadNotFound(id)
    return { data: join(this.directory, id), info: join(this.directory, `${id}.info`) }
  }

  async #readInfo(id: string, path: string): Promise<Record<string, unknown>> {
    try {
      return parseInfo(await readFile(path, 'utf8'), path)
    } catch (error) {
      if (isNotFound(error)) throw new UploadNotFound(id)
      throw error
    }
  }

  async #dataSize(id: string, path: string): Promise<number> {
    return (await this.#dataState(id, path)).size
  }

  async #dataState(id: string, path: string): Promise<DataFileState> {
    try {
      const stats = await stat(path)
      return { size: stats.size, modifiedAt: Math.floor(stats.mtimeMs) }
    } catch (error) {
      if (isNotFound(error)) throw new UploadNotFound(id)
      throw error
    }
  }
}

function isNotFound(error: unknown): boolean {
  return error instanceof Error && (error as NodeJS.ErrnoException).code === 'ENOENT'
}
