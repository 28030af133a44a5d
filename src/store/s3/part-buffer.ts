import { createHash, randomBytes } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { lstat, opendir, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { FileAppender } from '../file/file-appender.js'
import { OpenFile } from '../file/open-file.js'
import type { BodySource } from './s3-calls.js'

/**
 * Bytes of one part while it is received and uploaded: on disk (a temporary file) or in memory. Bytes are
 * written in order; once flushed they can be read any number of times (a retried upload reads them again).
 */
export interface PartBuffer {
  /** Bytes written so far. */
  readonly size: number
  /** Adds `chunk` (kept by reference until written: it must not change); resolves when more may come. */
  write(chunk: Uint8Array): Promise<void>
  /** Resolves once every byte written is held; throws what a write failed with. */
  flush(): Promise<void>
  /** The bytes written so far, with their SHA-256 when the store hashes parts. Only after `flush`. */
  source(): BodySource
  /** Frees the buffer (removes its file). Safe to call twice. */
  dispose(): Promise<void>
}

/** Makes the part buffers of a store. */
export interface PartBuffers {
  create(): Promise<PartBuffer>
  /** Removes temporary files earlier runs left behind (older than `graceMs`); resolves with the bytes freed. */
  sweep(graceMs: number, signal: AbortSignal): Promise<number>
}

/** Buffers in memory: fast, but every buffered part costs its size in RAM. */
export class MemoryPartBuffers implements PartBuffers {
  readonly #hashes: boolean

  constructor(options: { hashes: boolean }) {
    this.#hashes = options.hashes
  }

  async create(): Promise<PartBuffer> {
    return new MemoryPartBuffer(this.#hashes ? new RunningSha256() : undefined)
  }

  async sweep(): Promise<number> {
    return 0
  }
}

// `rg-s3-<pid>-<16 hex digits>.tmp`: recognisable, and the process that made it can be asked whether it lives.
const TEMPORARY_NAME = /^rg-s3-(?<pid>\d+)-[0-9a-f]{16}\.tmp$/
// Read back in node's usual 64 KiB pieces: up to 10 parts upload at once, each read stream holding a piece or
// two, and 256 KiB pieces cost ~10 MiB of peak memory with 8 uploads for no speed measured (bench scenario 9:
// 129 MiB peak RSS instead of 140, the same MiB/s and CPU).
const READ_CHUNK = 64 * 1024

/** Buffers in temporary files of `directory` (tusd's default too): memory stays small whatever the part size. */
export class DiskPartBuffers implements PartBuffers {
  readonly #directory: string
  readonly #hashes: boolean
  /** Files of this process, which a sweep never removes. */
  readonly #live = new Set<string>()

  constructor(options: { directory: string; hashes: boolean }) {
    this.#directory = options.directory
    this.#hashes = options.hashes
  }

  /** A buffer in a new temporary file. Throws file system errors (a missing directory, a full disk). */
  async create(): Promise<PartBuffer> {
    const path = join(this.#directory, `rg-s3-${process.pid}-${randomBytes(8).toString('hex')}.tmp`)
    this.#live.add(path)
    try {
      // 'ax': created here (never someone else's file) and written at its end only.
      const file = await OpenFile.open(path, 'ax', 0o600)
      return new DiskPartBuffer(path, file, this.#hashes ? new RunningSha256() : undefined, () => this.#live.delete(path))
    } catch (error) {
      this.#live.delete(path)
      throw error
    }
  }

  /**
   * Removes part files of processes that are gone, or older than `graceMs` (another process's file that
   * old is no longer written or read), never one of this process. Resolves with the bytes freed.
   */
  async sweep(graceMs: number, signal: AbortSignal): Promise<number> {
    let freed = 0
    const cutoff = Date.now() - graceMs
    for await (const entry of await opendir(this.#directory)) {
      signal.throwIfAborted()
      const pid = TEMPORARY_NAME.exec(entry.name)?.groups?.['pid']
      const path = join(this.#directory, entry.name)
      if (pid === undefined || this.#live.has(path)) continue
      const stats = await lstat(path).catch(() => undefined)
      if (stats === undefined || !stats.isFile()) continue
      if (Number(pid) === process.pid || (isAlive(Number(pid)) && stats.mtimeMs > cutoff)) continue
      await rm(path, { force: true })
      freed += stats.size
    }
    return freed
  }
}

class MemoryPartBuffer implements PartBuffer {
  #chunks: Uint8Array[] = []
  #size = 0
  readonly #digest: RunningSha256 | undefined

  constructor(digest: RunningSha256 | undefined) {
    this.#digest = digest
  }

  get size(): number {
    return this.#size
  }

  async write(chunk: Uint8Array): Promise<void> {
    this.#chunks.push(chunk)
    this.#size += chunk.length
    this.#digest?.update(chunk)
  }

  async flush(): Promise<void> {}

  source(): BodySource {
    const chunks = this.#chunks
    const sha256 = this.#digest?.hex
    // A stream, not the bytes: the client would hash a byte body for its signature (CPU), never a stream.
    return { size: this.#size, open: () => Readable.from(chunks, { objectMode: false }), ...(sha256 === undefined ? {} : { sha256 }) }
  }

  async dispose(): Promise<void> {
    this.#chunks = []
    this.#size = 0
  }
}

class DiskPartBuffer implements PartBuffer {
  readonly #path: string
  readonly #digest: RunningSha256 | undefined
  readonly #appender: FileAppender
  readonly #forget: () => void
  #file: OpenFile | undefined
  #size = 0
  #disposed = false

  constructor(path: string, file: OpenFile, digest: RunningSha256 | undefined, forget: () => void) {
    this.#path = path
    this.#file = file
    this.#digest = digest
    this.#appender = new FileAppender(file)
    this.#forget = forget
  }

  get size(): number {
    return this.#size
  }

  async write(chunk: Uint8Array): Promise<void> {
    this.#size += chunk.length
    this.#digest?.update(chunk)
    await this.#appender.push(chunk)
  }

  async flush(): Promise<void> {
    await this.#appender.flush()
  }

  source(): BodySource {
    const { size } = this
    const path = this.#path
    const sha256 = this.#digest?.hex
    return {
      size,
      open: () => (size === 0 ? Readable.from([], { objectMode: false }) : createReadStream(path, { start: 0, end: size - 1, highWaterMark: READ_CHUNK })),
      ...(sha256 === undefined ? {} : { sha256 }),
    }
  }

  async dispose(): Promise<void> {
    if (this.#disposed) return
    this.#disposed = true
    await this.#appender.flush().catch(() => undefined)
    await this.#closeFile().catch(() => undefined)
    await rm(this.#path, { force: true })
    this.#forget()
  }

  async #closeFile(): Promise<void> {
    const file = this.#file
    this.#file = undefined
    await file?.close()
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    // EPERM: it lives, as another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/** The SHA-256 of the bytes written so far, computed once per change however often a part is read back. */
class RunningSha256 {
  readonly #hash = createHash('sha256')
  #hex: string | undefined

  update(chunk: Uint8Array): void {
    this.#hash.update(chunk)
    this.#hex = undefined
  }

  get hex(): string {
    return (this.#hex ??= this.#hash.copy().digest('hex'))
  }
}
