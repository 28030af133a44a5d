import type { PartBuffers } from './part-buffer.js'
import type { PartSizing } from './part-size.js'
import type { S3Bucket } from './s3-bucket.js'
import type { Semaphore } from '../semaphore.js'

/** What every handle of an `S3Store` shares. */
export interface S3Context {
  readonly bucket: S3Bucket
  readonly sizing: PartSizing
  /** Every part but an upload's last is exactly `partSize` (Cloudflare R2 and others refuse unequal parts). */
  readonly equalParts: boolean
  readonly buffers: PartBuffers
  /** Part uploads in flight across the store. */
  readonly slots: Semaphore
  /** Parts of one upload received but not yet uploaded before its body is read on. */
  readonly maxBufferedParts: number
  /**
   * After a release request or a shutdown, how long an append's part uploads in flight may go on (what
   * they store is kept) before they are cut off; its commit follows either way.
   */
  readonly stopGraceMs: number
  /** How long a handle keeps what it needs to roll its last append back (the bytes of the `.part` it merged). */
  readonly undoLifetimeMs: number
  /** While an append streams, how often it commits the parts S3 confirmed (see `AppendCommits`). */
  readonly commitIntervalMs: number
}
