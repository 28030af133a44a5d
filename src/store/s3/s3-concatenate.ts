import type { Readable } from 'node:stream'
import { UploadNotFound } from '../../model/errors.js'
import type { ListedPart } from './s3-multipart.js'
import type { S3Context } from './s3-context.js'

/** A finished partial upload to copy from. */
export interface ConcatSource {
  /** Its upload id, for errors. */
  readonly id: string
  readonly objectId: string
  readonly size: number
}

/** What `concatenateInto` needs of the final upload's handle. */
export interface ConcatTarget {
  readonly objectId: string
  readonly multipartId: string
}

/**
 * How the bytes of the sources get into the final upload: `copied`, parts made by S3 itself, which the
 * caller commits; or `stream`, a body of the sources' bytes for the caller to append.
 */
export type ConcatWork = { readonly kind: 'copied'; readonly parts: ListedPart[] } | { readonly kind: 'stream'; readonly body: AsyncIterable<Uint8Array> }

/**
 * Brings the bytes of `sources`, in order, into the final upload's multipart upload.
 *
 * When every source but the last holds at least a part's worth (S3's rule for parts but the last), each
 * becomes parts by UploadPartCopy: S3 copies, no byte passes through the gateway (tusd does the same); the
 * parts are returned for the caller to commit. Otherwise (small sources, or a store whose parts must all
 * be equal) the caller gets a body that GETs each source in turn, for the append algorithm (tusd downloads
 * them to one temporary file and PUTs it instead). Nothing is committed here. Throws `UploadNotFound`
 * naming a source that is gone, what S3 threw.
 */
export async function concatenateInto(context: S3Context, target: ConcatTarget, sources: readonly ConcatSource[], signal: AbortSignal): Promise<ConcatWork> {
  const { bucket } = context
  // Every source is there, with the bytes its handle counted, before anything is written.
  await Promise.all(
    [...new Map(sources.map((source) => [source.objectId, source])).values()].map(async (source) => {
      const facts = await bucket.headData(source.objectId, signal)
      if (facts === undefined) throw new UploadNotFound(source.id)
      if (facts.size !== source.size) throw new Error(`partial upload ${source.id} holds ${facts.size} bytes, not ${source.size}`)
    }),
  )
  const plan = copyPlan(context, sources)
  if (plan !== undefined) return { kind: 'copied', parts: await copyParts(context, target, plan, signal) }
  return { kind: 'stream', body: streamOf(context, sources, signal) }
}

/** One part to copy: a source, or a range of it. */
interface CopiedPart {
  readonly number: number
  readonly source: ConcatSource
  readonly range?: { readonly start: number; readonly end: number }
}

/** The parts of a copy by UploadPartCopy, or undefined when the sources do not allow one. */
function copyPlan(context: S3Context, sources: readonly ConcatSource[]): CopiedPart[] | undefined {
  const { sizing, equalParts } = context
  if (equalParts) return undefined
  const filled = sources.filter((source) => source.size > 0)
  if (filled.slice(0, -1).some((source) => source.size < sizing.minPartSize)) return undefined
  const plan: CopiedPart[] = []
  for (const source of filled) {
    // A source larger than the largest part is copied in equal ranges (each far above the minimum).
    const pieces = Math.ceil(source.size / sizing.maxPartSize)
    if (pieces === 1) {
      plan.push({ number: plan.length + 1, source })
      continue
    }
    const step = Math.ceil(source.size / pieces)
    for (let start = 0; start < source.size; start += step) {
      plan.push({ number: plan.length + 1, source, range: { start, end: Math.min(source.size, start + step) } })
    }
  }
  return plan.length <= sizing.maxParts ? plan : undefined
}

/** Copies every part of `plan`, as many at once as the store's slots allow; resolves with the parts in order. */
async function copyParts(context: S3Context, target: ConcatTarget, plan: readonly CopiedPart[], signal: AbortSignal): Promise<ListedPart[]> {
  const { bucket, slots } = context
  return Promise.all(
    plan.map(async ({ number, source, range }) => {
      const release = await slots.acquire(signal)
      try {
        const etag = await bucket.multipart.copyPart(target.objectId, target.multipartId, number, source.objectId, range, signal)
        return { number, size: range === undefined ? source.size : range.end - range.start, etag }
      } finally {
        release()
      }
    }),
  )
}

/** The bytes of `sources` in order, each read by one GET as it is needed. Throws `UploadNotFound` for one gone meanwhile. */
async function* streamOf(context: S3Context, sources: readonly ConcatSource[], signal: AbortSignal): AsyncGenerator<Uint8Array> {
  for (const source of sources) {
    if (source.size === 0) continue
    const stream: Readable | undefined = await context.bucket.readData(source.objectId, undefined, signal)
    if (stream === undefined) throw new UploadNotFound(source.id)
    try {
      for await (const chunk of stream as AsyncIterable<Uint8Array>) yield chunk
    } finally {
      stream.destroy()
    }
  }
}
