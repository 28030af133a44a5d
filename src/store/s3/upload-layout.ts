import type { TailObject } from './s3-bucket.js'
import type { ListedPart } from './s3-multipart.js'

/**
 * What an unfinished upload holds in S3, read from its listed parts and its `.part` object: the parts that
 * count (1 to K, in order), the bytes of `.part` that count after them, and so the offset.
 *
 * The rule, and why. tusd counts every listed part and the whole `.part` object. That is right while
 * nothing fails, but S3 cannot delete a part: a part uploaded by an append that never finished (a crash,
 * parts uploaded side by side of which an earlier one failed), or by one whose bytes were rolled back (a
 * checksum mismatch), stays listed until the same part number is uploaded again. So the gateway commits
 * each append with one PUT of the `.part` object, carrying in its metadata the number of parts that count
 * before its bytes (`committed-parts`): parts listed past that number are leftovers and do not count, and
 * a `.part` whose bytes an append already merged into a later part is recognised because more parts were
 * committed since. Uploads written by tusd have no such record: every part up to the first gap counts, and
 * the `.part` object too when no part lies past a gap.
 */
export interface UploadLayout {
  /** The parts that count, numbered 1 to `parts.length`. */
  readonly parts: readonly ListedPart[]
  /** Bytes of the `.part` object that count after the parts (0 when there is none). */
  readonly tail: number
  readonly offset: number
  /**
   * Whether the upload carries the gateway's record, or needs none yet (no `.part` object and no
   * leftovers: whatever an append uploads then counts in order). Otherwise an append must write the record
   * first: a `.part` tusd wrote would be counted twice after a crash once its bytes are in a part, and
   * an append filling a gap would make leftovers past it count.
   */
  readonly recorded: boolean
  /** Parts listed past those that count: leftovers a later append will upload again. */
  readonly leftovers: number
  /** The last time bytes were stored, when known (the record's time, else the newest part or `.part`). */
  readonly updatedAt?: number
}

/** The record says more parts count than the multipart upload has. */
export class MissingParts extends Error {
  constructor(readonly missing: number, readonly committed: number) {
    super(`part ${missing} of ${committed} committed parts is not in the multipart upload`)
    this.name = 'MissingParts'
  }
}

/**
 * The layout of an unfinished upload from `listed` (its parts as S3 lists them, in any order) and `tail`
 * (its `.part` object, if any). Throws `MissingParts` when the record says more parts count than are
 * listed: something other than the gateway removed parts, and no offset can be trusted.
 */
export function layoutOf(listed: readonly ListedPart[], tail: TailObject | undefined): UploadLayout {
  const byNumber = new Map(listed.map((part) => [part.number, part]))
  if (tail?.committedParts !== undefined) {
    const committed = tail.committedParts
    const parts: ListedPart[] = []
    for (let number = 1; number <= committed; number++) {
      const part = byNumber.get(number)
      if (part === undefined) throw new MissingParts(number, committed)
      parts.push(part)
    }
    return finish(parts, tail.size, true, listed.length - committed, tail.updatedAt ?? newest(parts, tail))
  }
  const parts: ListedPart[] = []
  for (let number = 1; byNumber.has(number); number++) parts.push(byNumber.get(number) as ListedPart)
  const leftovers = listed.length - parts.length
  // A `.part` after a gap follows parts that do not count: its bytes would land in the wrong place.
  const tailBytes = tail !== undefined && leftovers === 0 ? tail.size : 0
  return finish(parts, tailBytes, tail === undefined && leftovers === 0, leftovers, newest(parts, tail))
}

function finish(parts: ListedPart[], tail: number, recorded: boolean, leftovers: number, updatedAt: number | undefined): UploadLayout {
  const offset = parts.reduce((sum, part) => sum + part.size, 0) + tail
  return { parts, tail, offset, recorded, leftovers, ...(updatedAt === undefined ? {} : { updatedAt }) }
}

function newest(parts: readonly ListedPart[], tail: TailObject | undefined): number | undefined {
  const dates = [...parts.map((part) => part.lastModified), tail?.lastModified].filter((date): date is number => date !== undefined)
  return dates.length === 0 ? undefined : Math.max(...dates)
}
