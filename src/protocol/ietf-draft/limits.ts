import { serializeDictionary } from 'structured-headers'
import { DraftRefusal } from './refusal.js'
import type { InteropVersion } from './versions.js'

/** The gateway's limits, in bytes; 0 means "no such limit". They never change while the gateway runs. */
export interface UploadLimits {
  readonly maxSize: number
  readonly minSize: number
  readonly maxAppendSize: number
  readonly minAppendSize: number
}

/**
 * The `Upload-Limit` value (an SF Dictionary of Integers, R-22): only the limits that exist, the
 * lifetime under the row's key (`expires` or `max-age`), and `min-size=0` when there are none.
 */
export function uploadLimitValue(limits: UploadLimits, lifetimeKey: 'expires' | 'max-age', lifetimeSeconds?: number): string {
  const members: Record<string, number> = {}
  if (limits.maxSize > 0) members['max-size'] = limits.maxSize
  if (limits.minSize > 0) members['min-size'] = limits.minSize
  if (limits.maxAppendSize > 0) members['max-append-size'] = limits.maxAppendSize
  if (limits.minAppendSize > 0) members['min-append-size'] = limits.minAppendSize
  if (lifetimeSeconds !== undefined) members[lifetimeKey] = Math.max(0, lifetimeSeconds)
  if (Object.keys(members).length === 0) members['min-size'] = 0
  return serializeDictionary(members)
}

/** What decides whether a request's content is within the append limits. */
export interface ContentSize {
  /** The content's size when announced (`Content-Length`), else undefined (chunked). */
  readonly size: number | undefined
  /** The request completes the upload (`Upload-Complete: ?1`). */
  readonly complete: boolean
  readonly creation: boolean
}

/**
 * Refuses, before the content is read, a request whose announced size breaks `max-append-size` (413,
 * R-27) or `min-append-size` (400). Appends always count; creations from -12 on, and never an empty
 * creation; a completing request is exempt from the minimum. Versions without
 * `Upload-Limit` cannot learn the limits, so they do not apply to them. Throws DraftRefusal.
 */
export function checkAppendSize(row: InteropVersion, limits: UploadLimits, content: ContentSize): void {
  if (!appliesTo(row, content)) return
  const { size } = content
  if (size === undefined) return
  if (limits.maxAppendSize > 0 && size > limits.maxAppendSize) {
    throw new DraftRefusal('APPEND_TOO_LARGE', {
      status: 413,
      detail: `the request content of ${size} bytes exceeds max-append-size (${limits.maxAppendSize} bytes)`,
    })
  }
  if (limits.minAppendSize > 0 && size < limits.minAppendSize && !content.complete && !(content.creation && size === 0)) {
    throw new DraftRefusal('APPEND_TOO_SMALL', {
      status: 400,
      detail: `the request content of ${size} bytes is below min-append-size (${limits.minAppendSize} bytes); only the request completing the upload may be smaller`,
    })
  }
}

/**
 * The largest content a request may carry under `max-append-size`, for bodies of unknown size
 * (chunked): they are stopped there. Undefined when there is no such limit for this request.
 */
export function maxContent(row: InteropVersion, limits: UploadLimits, content: ContentSize): number | undefined {
  return appliesTo(row, content) && limits.maxAppendSize > 0 ? limits.maxAppendSize : undefined
}

/**
 * `min-size` is the threshold for offering resumability. A creation whose length is unknown
 * or below it gets no upload resource to resume: it is accepted only as a single complete request.
 * Versions without `Upload-Limit` (before -04) cannot learn the limit, so it does not apply to them.
 */
export function offersResumption(row: InteropVersion, limits: UploadLimits, length: number | undefined): boolean {
  if (row.uploadLimit === false || limits.minSize === 0) return true
  return length !== undefined && length >= limits.minSize
}

function appliesTo(row: InteropVersion, content: ContentSize): boolean {
  return row.uploadLimit !== false && (!content.creation || row.appendLimitsCoverCreation)
}
