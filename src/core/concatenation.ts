import type { Store } from '../store/store.js'
import { MaxSizeExceeded, PartialUploadInvalid, UploadNotFound } from '../model/errors.js'
import { isComplete, isPendingFinal, type Upload } from '../model/upload.js'

/**
 * tus `concatenation` and `concatenation-unfinished`, protocol-free: a final upload is the bytes of its
 * partial uploads in order, and may be created before they are complete. It keeps track of the final
 * uploads still pending, so that the completion of a partial upload can complete them; that list lives in
 * memory and is rebuilt from the store on start-up (a final upload's partial uploads are persisted with it).
 */
export class Concatenation {
  readonly #store: Store
  readonly #maxSize: number
  /** Pending final uploads: id -> the ids of their partial uploads. */
  readonly #pending = new Map<string, readonly string[]>()

  /** `maxSize`: the largest upload accepted, in bytes (0: no limit); a final upload is held to it too. */
  constructor(store: Store, maxSize = 0) {
    this.#store = store
    this.#maxSize = maxSize
  }

  /**
   * For a new final upload: checks that each id names a partial upload, and returns the final length, the
   * sum of theirs (an id that repeats counts each time), or undefined while one of them defers its length.
   * Throws PartialUploadInvalid.
   */
  async finalLength(partials: readonly string[]): Promise<number | undefined> {
    const uploads = await this.#partials(partials)
    const missing = partials.find((id) => !uploads.has(id))
    if (missing !== undefined) throw new PartialUploadInvalid(missing, 'not-found')
    const notPartial = [...uploads.values()].find((upload) => upload.concat?.kind !== 'partial')
    if (notPartial !== undefined) throw new PartialUploadInvalid(notPartial.id, 'not-partial')
    return sumOfLengths(partials, uploads)
  }

  /** Remembers a final upload while it is pending, so that its partial uploads' completion can complete it. */
  track(upload: Upload): void {
    if (upload.concat?.kind === 'final' && isPendingFinal(upload)) this.#pending.set(upload.id, upload.concat.partials)
  }

  /** Stops tracking an upload (completed, terminated or expired). */
  forget(id: string): void {
    this.#pending.delete(id)
  }

  /** The pending final uploads that name the partial upload `partialId`. */
  finalsAwaiting(partialId: string): string[] {
    return [...this.#pending].filter(([, partials]) => partials.includes(partialId)).map(([id]) => id)
  }

  /** True when a pending final upload names the partial upload `partialId` (it must be kept until then). */
  isAwaited(partialId: string): boolean {
    return this.finalsAwaiting(partialId).length > 0
  }

  /**
   * The last write to a pending final upload or to any of its partial uploads that still exist: a final
   * upload waiting for partial uploads that are still receiving bytes is in use, not abandoned.
   */
  async lastActivity(final: Upload): Promise<number | undefined> {
    if (final.concat?.kind !== 'final') return final.updatedAt
    const partials = await this.#partials(final.concat.partials)
    const times = [final.updatedAt, ...[...partials.values()].map((upload) => upload.updatedAt)]
    const known = times.filter((time): time is number => time !== undefined)
    return known.length === 0 ? undefined : Math.max(...known)
  }

  /**
   * Brings a pending final upload as far as its partial uploads allow; the caller holds its lock. Declares
   * its length once every partial upload's length is known, and concatenates once every one is complete.
   * Returns the final upload, complete or still pending. A partial upload that has gone leaves it pending
   * for good (it then expires like any unfinished upload). Throws MaxSizeExceeded, and leaves the final
   * upload pending, when its length, known at last, is over the maximum size. `unsettled` names uploads
   * whose latest bytes may yet be discarded (a checked body being verified): they do not count as complete.
   */
  async settle(final: Upload, unsettled: ReadonlySet<string> = new Set()): Promise<Upload> {
    if (final.concat?.kind !== 'final' || isComplete(final)) return final
    const ids = final.concat.partials
    const partials = await this.#partials(ids)
    if (partials.size < new Set(ids).size) return final
    const length = sumOfLengths(ids, partials)
    if (length === undefined) return final
    // T-34: each partial upload was held to the maximum size, but their sum was not while one deferred its
    // length; and a final upload may name one partial upload hundreds of times. Such a final upload is
    // never copied together: the copy would write that many times the maximum size.
    if (this.#maxSize > 0 && length > this.#maxSize) throw new MaxSizeExceeded(this.#maxSize, length)
    let settled = final
    // concatenation-unfinished: a length deferred by a partial upload becomes the final's once known (T-60).
    if (settled.length === undefined && this.#store.declareLength !== undefined) {
      settled = await this.#store.declareLength(final.id, length)
    }
    const ready = (partial: Upload): boolean => isComplete(partial) && !unsettled.has(partial.id)
    if (![...partials.values()].every(ready) || this.#store.concatenate === undefined) return settled
    try {
      return await this.#store.concatenate(final.id, ids)
    } catch (error) {
      // A partial upload removed in the meantime: the final upload cannot be completed any more.
      if (error instanceof UploadNotFound && error.id !== final.id) return settled
      throw error
    }
  }

  /** The partial uploads that still exist, by id. */
  async #partials(ids: readonly string[]): Promise<Map<string, Upload>> {
    const found = await Promise.all(
      [...new Set(ids)].map((id) =>
        this.#store.get(id).catch((error: unknown) => {
          if (error instanceof UploadNotFound) return undefined
          throw error
        }),
      ),
    )
    return new Map(found.filter((upload): upload is Upload => upload !== undefined).map((upload) => [upload.id, upload]))
  }
}

/** The sum of the partial uploads' lengths, each id counted as often as it is named; undefined while one is deferred. */
function sumOfLengths(ids: readonly string[], uploads: ReadonlyMap<string, Upload>): number | undefined {
  let sum = 0
  for (const id of ids) {
    const length = uploads.get(id)?.length
    if (length === undefined) return undefined
    sum += length
  }
  return sum
}
