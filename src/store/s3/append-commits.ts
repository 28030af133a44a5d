import type { BodySource, ListedPart } from './s3-bucket.js'

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
   * Commits `parts` (the append's confirmed parts, in order) unless the last interim commit is more recent
   * than the interval, or a commit of as many parts is queued. A failure is ignored: the final commit
   * reports (a part uploaded but not committed counts for nothing, which is safe).
   */
  interim(parts: readonly ListedPart[]): void {
    if (parts.length <= this.#queued || Date.now() - this.#lastInterimAt < this.#intervalMs) return
    this.#lastInterimAt = Date.now()
    this.#queued = parts.length
    this.#chain = this.#chain.then(() => this.#commit(parts, EMPTY)).catch(() => undefined)
  }

  /** Commits `parts` and `tail` after any commit in flight. Throws what the write threw. */
  async final(parts: readonly ListedPart[], tail: BodySource): Promise<void> {
    const previous = this.#chain
    const final = previous.then(() => this.#commit(parts, tail))
    this.#chain = final.catch(() => undefined)
    await final
  }

  async #commit(parts: readonly ListedPart[], tail: BodySource): Promise<void> {
    await this.#write(parts, tail)
    this.#committed = parts
  }
}
