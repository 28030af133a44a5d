const MiB = 1024 * 1024

/** S3's limits on multipart uploads (AWS S3; S3-compatible servers have the same or looser ones). */
export const S3_LIMITS = {
  /** The least size of a part other than the last. */
  minPartSize: 5 * MiB,
  /** The largest part. */
  maxPartSize: 5 * 1024 * MiB,
  /** The most parts of one multipart upload. */
  maxParts: 10_000,
  /** The largest object. */
  maxObjectSize: 5 * 1024 * 1024 * MiB,
} as const

/** How a store cuts uploads into parts. */
export interface PartSizing {
  /** The size of every part but the last of an append, unless the upload is too large for it (see `partSizeFor`). */
  readonly partSize: number
  /** The least size of a part other than an upload's last; a shorter end of an append is kept as `.part`. */
  readonly minPartSize: number
  readonly maxParts: number
  readonly maxPartSize: number
}

/**
 * The part size for an upload of `length` bytes (undefined: deferred), as tusd's `calcOptimalPartSize`:
 * the preferred size while `maxParts` parts of it hold the upload, else the least size that fits it in
 * `maxParts` parts. Deferred uploads get the preferred size (and so hold at most `maxParts` of it). Throws
 * `RangeError` when even parts of `maxPartSize` cannot hold the upload.
 */
export function partSizeFor(sizing: PartSizing, length: number | undefined): number {
  if (length === undefined || length <= sizing.partSize * sizing.maxParts) return sizing.partSize
  const size = Math.ceil(length / sizing.maxParts)
  if (size > sizing.maxPartSize) {
    throw new RangeError(`an upload of ${length} bytes needs parts of ${size} bytes, more than the largest part (${sizing.maxPartSize})`)
  }
  return size
}

/**
 * Checks a sizing: positive whole numbers, `minPartSize <= partSize <= maxPartSize`. Throws `RangeError`
 * naming the bad value.
 */
export function checkSizing(sizing: PartSizing): void {
  for (const [name, value] of Object.entries(sizing)) {
    if (!(Number.isSafeInteger(value) && value > 0)) throw new RangeError(`${name} must be a positive whole number of bytes, not ${value}`)
  }
  if (sizing.minPartSize > sizing.partSize) {
    throw new RangeError(`the part size (${sizing.partSize}) must not be below the minimum part size (${sizing.minPartSize})`)
  }
  if (sizing.partSize > sizing.maxPartSize) {
    throw new RangeError(`the part size (${sizing.partSize}) must not be above the largest part S3 takes (${sizing.maxPartSize})`)
  }
}
