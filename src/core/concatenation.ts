import { getMaxListeners, setMaxListeners } from 'node:events'
import type { Lock } from '../lock/locker.js'
import type { Answer } from '../model/answer.js'
import { LockBusy, PartialUploadInvalid, TooManyPartials, UploadNotFound } from '../model/errors.js'
import { isComplete, isPendingFinal, type Upload } from '../model/upload.js'
import type { StoredUpload } from '../store/store.js'
import { checkMaxSize } from './append.js'
import type { RequestContext } from './commands.js'
import type { UploadMachine } from './machine.js'

/**
 * How a final upload takes its partial uploads' locks, never asking a holder to let go (a partial upload
 * may be receiving its bytes): `now` only if free (LockBusy otherwise), for a request that must not wait;
 * `politely`, waiting as long as it takes, for work in the background.
 */
export type PartialLocking = 'now' | 'politely'

export interface ConcatenationOptions {
  readonly machine: UploadMachine
  /** Takes a partial upload's lock. */
  readonly lock: (id: string, context: RequestContext, locking: PartialLocking) => Promise<Lock>
  /** The largest final upload, in bytes; 0: no limit. */
  readonly maxSize: number
  /** The most partial uploads a final upload may name (a name repeated counts each time). */
  readonly maxPartials: number
}

/**
 * tus `concatenation` and `concatenation-unfinished`, protocol-free: a final upload is the bytes of its
 * partial uploads in order, and may be created before they are complete. Nothing about it lives in memory:
 * each partial upload records the final uploads waiting for it (`awaitedBy`), so the process that finishes
 * a partial upload completes them, and no process expires a partial upload a final upload still needs.
 * A final upload settles under its partial uploads' locks, taken in id order: bytes a request may still roll
 * back (a checksum being verified) are never copied.
 */
export class Concatenation {
  readonly #options: ConcatenationOptions

  constructor(options: ConcatenationOptions) {
    this.#options = options
  }

  /**
   * For a new final upload: checks that each id names a partial upload (looked at without their locks), and
   * returns the final length, the sum of theirs (an id that repeats counts each time), or undefined while one
   * of them defers its length. Throws TooManyPartials, PartialUploadInvalid, MaxSizeExceeded.
   */
  async finalLength(partials: readonly string[], signal: AbortSignal): Promise<number | undefined> {
    const { maxPartials, maxSize } = this.#options
    if (partials.length > maxPartials) throw new TooManyPartials(partials.length, maxPartials)
    const uploads = await this.#peek(partials, signal)
    const missing = partials.find((id) => !uploads.has(id))
    if (missing !== undefined) throw new PartialUploadInvalid(missing, 'not-found')
    const notPartial = [...uploads.values()].find((upload) => upload.concat?.kind !== 'partial')
    if (notPartial !== undefined) throw new PartialUploadInvalid(notPartial.id, 'not-partial')
    const length = sumOfLengths(partials, uploads)
    if (length !== undefined) checkMaxSize(length, maxSize)
    return length
  }

  /**
   * Records, in each partial upload `ids` names (under its lock, one at a time), that the final upload
   * `final` waits for it. `now` skips a partial upload in use (one receiving its bytes) and resolves with
   * those skipped; `politely` waits for each.
   */
  async markAwaited(final: Upload, ids: readonly string[], context: RequestContext, locking: PartialLocking): Promise<string[]> {
    const skipped: string[] = []
    for (const id of [...new Set(ids)].sort()) {
      const marked = await this.#withPartials([id], context, locking, async (partials) => {
        const partial = partials.get(id)
        if (partial !== undefined) await this.#options.machine.markAwaited(partial, final.id, context.signal)
        return true
      })
      if (marked === undefined) skipped.push(id)
    }
    return skipped
  }

  /**
   * Brings a pending final upload, whose lock the caller holds, as far as its partial uploads allow: declares
   * its length once every partial upload's is known, and concatenates once every one is finished, under their
   * locks (taken as `locking` says: a request does not wait for a partial upload in use, it simply finds the
   * final upload still pending). Returns pre-finish's answer when it completed it. A partial upload that has gone leaves it pending
   * for good (it then expires like any unfinished upload). Throws MaxSizeExceeded, and leaves the final upload
   * pending, when its length, known at last, is over the maximum size (T-34: a final upload may name one
   * partial upload many times; such a one is never copied together).
   */
  async settle(final: StoredUpload, context: RequestContext, locking: PartialLocking): Promise<Answer | undefined> {
    const { state } = final
    if (state.concat?.kind !== 'final' || !isPendingFinal(state)) return undefined
    const ids = state.concat.partials
    const looked = await this.#peek(ids, context.signal)
    if (looked.size < new Set(ids).size) return undefined
    const length = sumOfLengths(ids, looked)
    if (length === undefined) return undefined
    checkMaxSize(length, this.#options.maxSize)
    const { machine } = this.#options
    // concatenation-unfinished: a length deferred by a partial upload becomes the final's once known (T-60).
    if (state.length === undefined) await machine.declareLength(final, length, context.signal)
    if (![...looked.values()].every(isComplete)) return undefined
    return this.#withPartials(ids, context, locking, async (partials) => {
      if (partials.size < looked.size) return undefined
      for (const partial of partials.values()) {
        if (!isComplete(partial.state)) return undefined
        // A partial upload learns of the final upload here if the background work marking it has not run yet.
        await machine.markAwaited(partial, state.id, context.signal)
        // A partial upload complete but not finished (a crash in between) is finished first.
        if (!partial.finished) await machine.finish(partial, context, context.signal)
      }
      const ordered = ids.map((id) => partials.get(id) as StoredUpload)
      return machine.concatenate(final, ordered, context, context.signal)
    })
  }

  /** The id of a pending final upload that still needs `partial` (it must be kept until then), if any. */
  async awaitingFinal(partial: Upload, signal: AbortSignal): Promise<string | undefined> {
    const { awaitedBy } = partial
    if (awaitedBy === undefined || awaitedBy.length === 0) return undefined
    const finals = await this.#peek(awaitedBy, signal)
    return [...finals.values()].find(isPendingFinal)?.id
  }

  /**
   * The last write to a pending final upload or to any of its partial uploads that still exist: a final
   * upload waiting for partial uploads that are still receiving bytes is in use, not abandoned.
   */
  async lastActivity(final: Upload, signal: AbortSignal): Promise<number | undefined> {
    if (final.concat?.kind !== 'final') return final.updatedAt
    const partials = await this.#peek(final.concat.partials, signal)
    const times = [final.updatedAt, ...[...partials.values()].map((upload) => upload.updatedAt)]
    const known = times.filter((time): time is number => time !== undefined)
    return known.length === 0 ? undefined : Math.max(...known)
  }

  /**
   * Runs `work` with the partial uploads that still exist opened under their locks, taken in id order so
   * that two final uploads sharing partial uploads never wait for each other. Resolves with undefined,
   * doing nothing, when a lock is busy and `locking` is `now`.
   */
  async #withPartials<T>(
    ids: readonly string[],
    context: RequestContext,
    locking: PartialLocking,
    work: (partials: Map<string, StoredUpload>) => Promise<T>,
  ): Promise<T | undefined> {
    const locks: Lock[] = []
    try {
      const partials = new Map<string, StoredUpload>()
      for (const id of [...new Set(ids)].sort()) {
        try {
          locks.push(await this.#options.lock(id, context, locking))
        } catch (error) {
          if (error instanceof LockBusy && locking === 'now') return undefined
          throw error
        }
        const handle = await this.#open(id, context.signal)
        if (handle !== undefined) partials.set(id, handle)
      }
      return await work(partials)
    } finally {
      for (const lock of locks.reverse()) await lock.release()
    }
  }

  async #open(id: string, signal: AbortSignal): Promise<StoredUpload | undefined> {
    return this.#options.machine.open(id, signal).catch((error: unknown) => {
      if (error instanceof UploadNotFound) return undefined
      throw error
    })
  }

  /** The uploads that still exist, by id, looked at without their locks, all at once. */
  async #peek(ids: readonly string[], signal: AbortSignal): Promise<Map<string, Upload>> {
    const unique = [...new Set(ids)]
    // A store call may listen to the signal while it runs (S3's and Azure's clients do): one each, and node warns
    // of a leak past 10 listeners on one signal.
    if (getMaxListeners(signal) < unique.length + 10) setMaxListeners(unique.length + 10, signal)
    const found = await Promise.all(unique.map(async (id) => (await this.#open(id, signal))?.state))
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
