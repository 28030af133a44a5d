import type { OpenFile } from './open-file.js'

// Chunks queued behind the write in flight before `push` waits for it: enough to gather many small body
// chunks into one writev, little enough to bound the memory of one append.
const HIGH_WATER_MARK = 1024 * 1024

/**
 * Writes chunks to the end of an open file in order, one write in flight at a time: the chunks that arrive
 * meanwhile are gathered into the next `writev`, so reading the body and writing the file overlap. `written`
 * counts only bytes the file system took, so it never claims a byte that is not in the file.
 */
export class FileAppender {
  /** Bytes written so far. */
  written = 0
  readonly #file: OpenFile
  #queue: Uint8Array[] = []
  #queued = 0
  #writing: Promise<void> | undefined
  #failure: { readonly error: unknown } | undefined

  /** `file` must be open for appending (`O_APPEND`): every write goes to its end. */
  constructor(file: OpenFile) {
    this.#file = file
  }

  /**
   * Queues `chunk` (which must not change until written) and starts writing; resolves at once, or once the
   * queue is below its high-water mark. Throws the error of a failed write; nothing is written after one.
   */
  async push(chunk: Uint8Array): Promise<void> {
    this.#throwIfFailed()
    if (chunk.length === 0) return
    this.#queue.push(chunk)
    this.#queued += chunk.length
    this.#writing ??= this.#drain()
    if (this.#queued >= HIGH_WATER_MARK) await this.#writing
    this.#throwIfFailed()
  }

  /** Resolves once every queued chunk is written; throws the error of a failed write. */
  async flush(): Promise<void> {
    await this.#writing
    this.#throwIfFailed()
  }

  async #drain(): Promise<void> {
    try {
      while (this.#queue.length > 0) {
        let batch = this.#queue
        this.#queue = []
        this.#queued = 0
        // A write may be short (the disk filled up meanwhile): write the rest, which then fails with the reason.
        while (batch.length > 0) {
          const bytesWritten = await this.#file.writev(batch)
          this.written += bytesWritten
          batch = withoutFirst(batch, bytesWritten)
        }
      }
    } catch (error) {
      this.#failure = { error }
      this.#queue = []
      this.#queued = 0
    } finally {
      this.#writing = undefined
    }
  }

  #throwIfFailed(): void {
    if (this.#failure !== undefined) throw this.#failure.error
  }
}

/** `chunks` without their first `count` bytes. */
function withoutFirst(chunks: readonly Uint8Array[], count: number): Uint8Array[] {
  const rest: Uint8Array[] = []
  let skip = count
  for (const chunk of chunks) {
    if (skip >= chunk.length) {
      skip -= chunk.length
      continue
    }
    rest.push(skip > 0 ? chunk.subarray(skip) : chunk)
    skip = 0
  }
  return rest
}
