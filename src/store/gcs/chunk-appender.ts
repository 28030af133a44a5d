import { consumeBody } from '../consume-body.js'
import { graceAfter } from '../grace.js'
import type { Chunk, UploadNames } from './gcs-objects.js'
import type { JsonApi } from './json-api.js'
import { PieceUpload } from './object-upload.js'
import type { RetryBuffers } from './retry-buffers.js'

/** What one append writes with, and where. */
export interface AppendTarget {
  readonly api: JsonApi
  readonly names: UploadNames
  /** Index of the first chunk object the append writes (`<key>_<firstIndex>`, then on). */
  readonly firstIndex: number
  /** Their size is the largest chunk object: a longer body becomes several, each confirmed before the next is read. */
  readonly buffers: RetryBuffers
  /** How long, once the signal aborts, the bytes that arrived get to reach GCS before the request is cut. */
  readonly abortGraceMs: number
  /** Resolves if the upload still exists (checked once, before the first byte is written); throws otherwise. */
  readonly stillThere: () => Promise<void>
}

/** How an append went: the chunk objects GCS confirmed, and the error to report once they are counted. */
export interface AppendOutcome {
  readonly chunks: readonly Chunk[]
  /** A chunk object may exist that GCS never confirmed (its answer was lost or cut off). */
  readonly uncertain: boolean
  /** Bytes that arrived were dropped: the grace period after an abort ran out before GCS confirmed them. */
  readonly cut: boolean
  /** The body's error (after its bytes were stored), or the store's (which explains more). */
  readonly failure?: { readonly error: unknown }
}

/**
 * Streams `body` into new chunk objects of at most a retry buffer's size, tusd's `<key>_<n>`. Each object's
 * bytes are sent as they arrive (kept for a retry when a buffer is free, see `PieceUpload`) and the next
 * object starts once GCS confirmed it, so every confirmed object is durable on its own: a body that stops,
 * an abort, a crash or `kill -9` lose at most the piece in flight, whose bytes no one counted.
 *
 * When `signal` aborts, reading stops at once and the piece holding the bytes that arrived gets
 * `abortGraceMs` to be confirmed; then its request is cut and those bytes are not counted (`cut`).
 * Never throws: the outcome carries the failure.
 */
export async function appendChunks(body: AsyncIterable<Uint8Array>, signal: AbortSignal, target: AppendTarget): Promise<AppendOutcome> {
  const { names, firstIndex, buffers } = target
  const pieceSize = buffers.size
  const hard = graceAfter(signal, target.abortGraceMs)
  const chunks: Chunk[] = []
  let piece: PieceUpload | undefined
  let uncertain = false
  let checked = false
  let storeFailure: { error: unknown } | undefined
  let bodyFailure: { error: unknown } | undefined

  const confirm = async (): Promise<void> => {
    const open = piece
    piece = undefined
    if (open === undefined) return
    try {
      chunks.push({ ...(await open.finish()), index: firstIndex + chunks.length })
    } catch (error) {
      uncertain = true
      throw error
    }
  }

  try {
    await consumeBody(body, signal, async (chunk) => {
      try {
        if (!checked) {
          checked = true
          await target.stillThere()
        }
        for (let at = 0; at < chunk.byteLength;) {
          piece ??= new PieceUpload(target.api, names.chunk(firstIndex + chunks.length), buffers, hard.signal)
          const take = Math.min(chunk.byteLength - at, pieceSize - piece.size)
          await piece.write(chunk.subarray(at, at + take))
          at += take
          if (piece.size === pieceSize) await confirm()
        }
      } catch (error) {
        storeFailure = { error }
        throw error
      }
    })
  } catch (error) {
    if (storeFailure === undefined) bodyFailure = { error }
  }
  try {
    // The bytes that arrived before the body ended, failed or was stopped.
    if (storeFailure === undefined) await confirm()
  } catch (error) {
    storeFailure = { error }
  } finally {
    // A piece cut short by a failure is never finished: its request and retry buffer go now.
    piece?.abandon()
    hard.dispose()
  }
  // Cut off by the end of the grace period: not GCS's failure, but bytes that arrived do not count.
  const cut = hard.signal.aborted && storeFailure !== undefined
  if (cut) storeFailure = undefined
  const failure = storeFailure ?? bodyFailure
  return { chunks, uncertain, cut, ...(failure === undefined ? {} : { failure }) }
}
