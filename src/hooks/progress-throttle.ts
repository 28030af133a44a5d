/**
 * Decides which progress reports become post-receive hooks: at most one per upload every `intervalMs`
 * while a body streams, each only when the offset moved since the last one sent, and one more when the
 * request ends if its last bytes were not reported yet (tusd's `sendProgressMessages`, without its extra
 * reports of an offset that did not move). Holds an entry only for uploads whose body is streaming.
 */
export class ProgressThrottle {
  readonly #intervalMs: number
  readonly #sent = new Map<string, { readonly at: number; readonly offset: number }>()

  constructor(intervalMs: number) {
    this.#intervalMs = intervalMs
  }

  /** A progress report while the body streams: true when it is to be sent. */
  progress(id: string, offset: number): boolean {
    const last = this.#sent.get(id)
    const now = performance.now()
    // Progress comes on a timer of the same period: one that fires a hair early still counts as due.
    if (last !== undefined && (offset <= last.offset || now - last.at < this.#intervalMs * 0.9)) return false
    this.#sent.set(id, { at: now, offset })
    return true
  }

  /** The request streaming into the upload ended at `offset`: true when that offset is still to be sent. */
  end(id: string, offset: number): boolean {
    const last = this.#sent.get(id)
    this.#sent.delete(id)
    return last === undefined || last.offset !== offset
  }

  /** The upload is gone. */
  forget(id: string): void {
    this.#sent.delete(id)
  }
}
