import { setMaxListeners } from 'node:events'
import { UploadNotFound } from '../../model/errors.js'
import { LockLoss } from '../../model/stop-reasons.js'
import { consumeBody } from '../consume-body.js'
import { AppendCommits } from './append-commits.js'
import type { PartBuffer } from './part-buffer.js'
import { PartPipeline } from './part-pipeline.js'
import { partSizeFor } from './part-size.js'
import type { BodySource } from './s3-calls.js'
import type { ListedPart } from './s3-multipart.js'
import type { S3Context } from './s3-context.js'

/** What a handle knows of an unfinished upload's bytes: the parts that count and the `.part` bytes after them. */
export interface StoredBytes {
  readonly parts: readonly ListedPart[]
  readonly tail: number
  /** Whether the upload carries the gateway's record (see upload-layout.ts). */
  readonly recorded: boolean
}

/** The upload an append writes to, as its handle knows it. */
export interface AppendTarget {
  readonly id: string
  readonly objectId: string
  readonly multipartId: string
  readonly bytes: StoredBytes
  readonly offset: number
  /** Bytes (not an empty body) to a finished upload are refused. */
  readonly finished: boolean
  /** The upload's last write, for the record written before a first append to an upload tusd wrote. */
  readonly updatedAt: number | undefined
}

/**
 * How an append ended: what S3 holds now when a commit succeeded (`stored`, with the `.part` bytes it
 * merged), whether the upload now carries the gateway's record, and what to throw once the handle took
 * that in (`failure`: raw, for the handle to map). A cut-off by the append's own stop is no failure.
 */
export interface AppendOutcome {
  readonly stored?: { readonly bytes: StoredBytes; readonly updatedAt: number; readonly merged: PartBuffer | undefined }
  readonly recorded: boolean
  readonly failure?: { readonly error: unknown; readonly kind: 'store' | 'body' | 'past-length' }
}

const EMPTY: BodySource = { size: 0, open: () => new Uint8Array(0) }

/**
 * The append algorithm (see `S3Store` and upload-layout.ts): the body streams into parts of the upload's
 * part size (`PartPipeline`), the `.part` bytes first; parts S3 confirmed are committed every commit
 * interval and at the end, with the bytes after the last part as the new `.part` (`AppendCommits`). The
 * end of the body decides what its last bytes are: a part (at least the minimum, or the upload's last
 * bytes) or `.part`. `length` bounds the bytes taken (undefined: deferred). Never throws: failures come
 * back in the outcome, after everything that could be kept was committed.
 */
export async function appendParts(context: S3Context, target: AppendTarget, body: AsyncIterable<Uint8Array>, signal: AbortSignal, length: number | undefined): Promise<AppendOutcome> {
  const { sizing, equalParts, bucket } = context
  const before = target.bytes
  const partSize = partSizeFor(sizing, length)
  // Bytes below this go to `.part` when an append ends (R2: parts must all be equal, so only full ones are parts).
  const minPartSize = equalParts ? partSize : sizing.minPartSize
  const room = length === undefined ? Number.POSITIVE_INFINITY : length - target.offset
  const stop = new StopControl(signal, context.stopGraceMs, context.maxBufferedParts)
  const commits = new AppendCommits(
    (parts, tail) => bucket.writeTail(target.objectId, { committedParts: before.parts.length + parts.length, updatedAt: Date.now() }, tail, stop.commits),
    context.commitIntervalMs,
  )
  let pipeline: PartPipeline | undefined
  let merged: PartBuffer | undefined
  let recorded = before.recorded
  let taken = 0
  let failure: AppendOutcome['failure']
  try {
    await consumeBody(body, signal, async (chunk) => {
      if (chunk.length === 0) return
      // An empty body may reach a finished upload (a draft client repeating its completing request); bytes may not.
      if (target.finished) throw new Error(`cannot append to upload ${target.id}: it is finished`)
      const piece = taken + chunk.length > room ? chunk.subarray(0, room - taken) : chunk
      try {
        if (pipeline === undefined) {
          const started = newPipeline(context, target, partSize, stop.uploads, () => commits.interim(started.uploadedInOrder()))
          pipeline = started
          if (!recorded) {
            await record(context, target, stop.commits)
            recorded = true
          }
          // The `.part` bytes go first: they become the start of the first new part, or of the new `.part`.
          if (before.tail > 0) merged = await mergeTail(context, target, started, stop.uploads)
        }
        await pipeline.write(piece)
      } catch (error) {
        failure = { error, kind: 'store' }
        throw error
      }
      taken += piece.length
      if (piece.length < chunk.length) {
        failure = { error: new RangeError(`the body goes past the length of upload ${target.id} (${length} bytes)`), kind: 'past-length' }
        throw failure.error
      }
    })
  } catch (error) {
    failure ??= { error, kind: 'body' }
  }
  if (pipeline === undefined) {
    stop.dispose()
    return { recorded, ...(failure === undefined ? {} : { failure }) }
  }
  const active: PartPipeline = pipeline
  let uploadFailure = failure?.kind === 'store' ? failure.error : active.failure?.error
  try {
    // The last bytes of the upload are its last part; bytes of a part's minimum are one, whatever comes next.
    if (uploadFailure === undefined && active.rest > 0 && (active.rest >= minPartSize || taken === room)) await active.sealAsPart()
  } catch (error) {
    uploadFailure ??= error
  }
  const settled = await active.settle()
  uploadFailure ??= settled.failure?.error
  // S3 failed: what it confirmed is committed if it answers within the grace period, and otherwise left as it was.
  if (uploadFailure !== undefined) stop.limitCommits()
  // Bytes after a part that did not arrive cannot count: they would land in the wrong place.
  const rest = uploadFailure === undefined ? await active.takeRest() : undefined
  if (rest === undefined) await active.discardRest()
  let commitFailure: { readonly error: unknown } | undefined
  if (settled.parts.length > 0 || rest !== undefined) {
    try {
      await commits.final(settled.parts, rest?.source() ?? EMPTY)
    } catch (error) {
      commitFailure = { error }
    }
  } else {
    commits.close()
  }
  stop.dispose()
  // What the last commit that succeeded says is what S3 holds now (an interim one, if the final failed).
  const committed = commits.committed
  const stored =
    committed === undefined
      ? undefined
      : { bytes: { parts: [...before.parts, ...committed], tail: commitFailure === undefined ? (rest?.size ?? 0) : 0, recorded: true }, updatedAt: Date.now(), merged }
  await rest?.dispose()
  if (stored === undefined) await merged?.dispose()
  // Cut off by our own stop (the grace period of a release request ran out, the lock was lost): no failure;
  // what S3 confirmed is kept and the caller learns of the stop from its signal.
  const storeFailure =
    commitFailure !== undefined && !stop.commits.aborted ? commitFailure.error : uploadFailure !== undefined && !stop.uploads.aborted ? uploadFailure : undefined
  const outcomeFailure = storeFailure !== undefined ? { error: storeFailure, kind: 'store' as const } : failure?.kind === 'store' ? undefined : failure
  return { recorded, ...(stored === undefined ? {} : { stored }), ...(outcomeFailure === undefined ? {} : { failure: outcomeFailure }) }
}

function newPipeline(context: S3Context, target: AppendTarget, partSize: number, signal: AbortSignal, onUploaded: () => void): PartPipeline {
  const { bucket, sizing, buffers, slots, maxBufferedParts } = context
  return new PartPipeline({
    bucket,
    objectId: target.objectId,
    multipartId: target.multipartId,
    firstNumber: target.bytes.parts.length + 1,
    partSize,
    maxParts: sizing.maxParts,
    maxBufferedParts,
    slots,
    buffers,
    signal,
    onUploaded,
  })
}

/** Gives an upload tusd wrote the gateway's record before an append (see `UploadLayout.recorded`). */
async function record(context: S3Context, target: AppendTarget, signal: AbortSignal): Promise<void> {
  const entry = { committedParts: target.bytes.parts.length, updatedAt: target.updatedAt ?? Date.now() }
  if (target.bytes.tail > 0) await context.bucket.markTail(target.objectId, entry, signal)
  else await context.bucket.writeTail(target.objectId, entry, EMPTY, signal)
}

/**
 * Reads the `.part` bytes into the pipeline, and into a buffer of their own for an undo. Throws
 * `UploadNotFound` when there is no `.part` (the upload was terminated), an `Error` when it holds other
 * bytes than the handle knows of (another handle appended since).
 */
async function mergeTail(context: S3Context, target: AppendTarget, pipeline: PartPipeline, signal: AbortSignal): Promise<PartBuffer> {
  const stream = await context.bucket.readTail(target.objectId, signal)
  if (stream === undefined) throw new UploadNotFound(target.id)
  const copy = await context.buffers.create()
  try {
    for await (const chunk of stream as AsyncIterable<Uint8Array>) {
      await pipeline.write(chunk)
      await copy.write(chunk)
    }
    await copy.flush()
    if (copy.size !== target.bytes.tail) {
      throw new Error(`upload ${target.id} changed since this handle read it: .part holds ${copy.size} bytes, not ${target.bytes.tail}`)
    }
    return copy
  } catch (error) {
    stream.destroy()
    await copy.dispose()
    throw error
  }
}

/**
 * The signals of one append: `uploads` stops its part uploads, `commits` its commits. A lost lock stops
 * both at once (someone else may write now); any other abort (a release request, a shutdown, the client
 * gone) stops the uploads after the grace period, and the commit of what they stored a grace period later:
 * an S3 that answers commits in milliseconds, and a silent one held the upload's lock for minutes (every
 * attempt of an interim commit, then of the final one, waiting out its socket timeout).
 */
class StopControl {
  readonly #uploads = new AbortController()
  readonly #commits = new AbortController()
  readonly #signal: AbortSignal
  readonly #graceMs: number
  readonly #onAbort: () => void
  #timer: NodeJS.Timeout | undefined
  #commitTimer: NodeJS.Timeout | undefined

  /** `parts`: the most parts of the append in S3's hands at once, each call listening to the uploads' signal. */
  constructor(signal: AbortSignal, graceMs: number, parts: number) {
    this.#signal = signal
    this.#graceMs = graceMs
    // Node warns of a leak past 10 listeners; here they are bounded by the parts (and the part slots' queue, the tail).
    setMaxListeners(parts + 4, this.#uploads.signal)
    this.#onAbort = () => {
      const reason: unknown = signal.reason
      if (reason instanceof LockLoss) {
        this.#uploads.abort(reason)
        this.#commits.abort(reason)
        return
      }
      this.#timer = setTimeout(() => {
        this.#uploads.abort(reason)
        this.limitCommits()
      }, graceMs)
    }
    if (signal.aborted) this.#onAbort()
    else signal.addEventListener('abort', this.#onAbort, { once: true })
  }

  get uploads(): AbortSignal {
    return this.#uploads.signal
  }

  get commits(): AbortSignal {
    return this.#commits.signal
  }

  /** Gives the commits one grace period more, then stops them (S3 failed, or the uploads were stopped). */
  limitCommits(): void {
    this.#commitTimer ??= setTimeout(() => this.#commits.abort(new Error(`S3 did not take the commit within ${this.#graceMs} ms`)), this.#graceMs)
  }

  dispose(): void {
    clearTimeout(this.#timer)
    clearTimeout(this.#commitTimer)
    this.#signal.removeEventListener('abort', this.#onAbort)
  }
}
