import type { BodySource } from './s3-calls.js'
import type { ListedPart } from './s3-multipart.js'

/** Writes one commit: the record of `parts` (the append's, after those before it) and the `.part` bytes after them. */
export type CommitWriter = (parts: readonly ListedPart[], tail: BodySource) => Promise<void>

const EMPTY: BodySource = { size: 0, open: () => new Uint8Array(0) }

/**
 * The commits of one append, one PUT of `.part` at a time and in order. Besides the final commit (its
 * parts and the bytes after them), a long append commits the parts S3 has confirmed so far, at most every
 * `intervalMs` (an empty `.part`: the bytes being received are not in S3 yet), so that a crash of the
 * gateway, which leaves no chance to commit, loses at most that much of what S3 holds.
 */
export class AppendCommits {
  readonly #write: CommitWriter
  readonly #intervalMs: number
  #chain: Promise<void> = Promise.resolve()
  #lastInterimAt = Date.now()
  #queued = 0
  #latest: readonly ListedPart[] = []
  #timer: NodeJS.Timeout | undefined
  #done = false
  #committed: readonly ListedPart[] | undefined

  constructor(write: CommitWriter, intervalMs: number) {
    this.#write = write
    this.#intervalMs = intervalMs
  }

  /** The parts of the last commit that succeeded, or undefined when none did. */
  get committed(): readonly ListedPart[] | undefined {
    return this.#committed
  }

  /**
   * Says that `parts` (the append's confirmed parts, in order) are in S3: they are committed now if the last
   * interim commit is at least the interval old, else once it is (unless the final commit came first). A
   * failure is ignored: the final commit reports (a part uploaded but not committed counts for nothing, which is safe).
   */
  interim(parts: readonly ListedPart[]): void {
    if (this.#done || parts.length <= this.#latest.length) return
    this.#latest = parts
    const wait = this.#lastInterimAt + this.#intervalMs - Date.now()
    if (wait > 0) {
      this.#timer ??= setTimeout(() => {
        this.#timer = undefined
        this.#flush()
      }, wait).unref()
      return
    }
    this.#flush()
  }

  /** Commits `parts` and `tail` after any commit in flight; no interim commit follows. Throws what the write threw. */
  async final(parts: readonly ListedPart[], tail: BodySource): Promise<void> {
    this.#done = true
    clearTimeout(this.#timer)
    const final = this.#chain.then(() => this.#commit(parts, tail))
    this.#chain = final.catch(() => undefined)
    await final
  }

  /** Stops interim commits (the append ends without a final one). */
  close(): void {
    this.#done = true
    clearTimeout(this.#timer)
  }

  #flush(): void {
    const parts = this.#latest
    if (this.#done || parts.length <= this.#queued) return
    this.#lastInterimAt = Date.now()
    this.#queued = parts.length
    this.#chain = this.#chain.then(() => this.#commit(parts, EMPTY)).catch(() => undefined)
  }

  async #commit(parts: readonly ListedPart[], tail: BodySource): Promise<void> {
    await this.#write(parts, tail)
    this.#committed = parts
  }
}
