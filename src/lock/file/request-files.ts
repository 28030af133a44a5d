import type { StopDetails } from '../../model/stop-reasons.js'
import { readIfThere, replaceAtomically } from './file-ops.js'
import type { LockFiles } from './lock-files.js'

/**
 * The requests to a holder, as files next to its lock: `<id>.stop` asks it to release (tusd's file: its
 * holders let go when it appears; ours holds the token of the holder it asks, tusd's is empty and asks
 * whoever holds the lock), `<id>.lock.stop` asks it to stop for good, with the details. Every process
 * watches the directory, so the holder's hears of a request at once.
 */
export class RequestFiles {
  readonly #files: LockFiles

  constructor(files: LockFiles) {
    this.#files = files
  }

  /** Asks the holder with `token` to release. Many waiters see the same new holder at once: an existing request for it is left as it is. */
  askRelease(id: string, token: string): void {
    const path = this.#files.releaseRequest(id)
    // A read is cheaper than a write, which every process on the directory hears about.
    if (readIfThere(path)?.trim() !== token) replaceAtomically(path, token)
  }

  /** Asks the holder with `token` to stop for good. */
  askStop(id: string, token: string, details: StopDetails): void {
    replaceAtomically(this.#files.stopRequest(id), JSON.stringify({ for: token, details }))
  }

  /** Whether the holder with `token` is asked to release (by us, or by tusd, whose request asks any holder). */
  releaseAsked(id: string, token: string): boolean {
    const text = readIfThere(this.#files.releaseRequest(id))?.trim()
    return text === '' || text === token
  }

  /** The details of a stop request to the holder with `token`, or undefined when there is none. */
  stopAsked(id: string, token: string): StopDetails | undefined {
    const text = readIfThere(this.#files.stopRequest(id))
    if (text === undefined) return undefined
    try {
      const request = JSON.parse(text) as { for?: unknown; details?: StopDetails }
      return request.for === token ? (request.details ?? {}) : undefined
    } catch {
      // Half an old format, or not ours: not a request to this holder.
      return undefined
    }
  }
}
