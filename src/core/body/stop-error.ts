import {
  AppendTooLarge,
  BodyIncomplete,
  LengthExceeded,
  LockLost,
  MaxSizeExceeded,
  NetworkTimeout,
  ShuttingDown,
  UploadInterrupted,
  UploadStopped,
} from '../../model/errors.js'
import { BodyTooSlow, LockLoss, ReleaseRequested, ShutdownRequested, StopRequested } from '../../model/stop-reasons.js'
import type { Upload } from '../../model/upload.js'
import type { BodyStop } from './guarded-body.js'

/** The facts a body that stopped early can report; the bytes that arrived are kept in every case. */
export type StopError =
  | LengthExceeded
  | MaxSizeExceeded
  | AppendTooLarge
  | UploadInterrupted
  | UploadStopped
  | LockLost
  | NetworkTimeout
  | BodyIncomplete
  | ShuttingDown

/** Explains why a body stopped before its end, given the upload as it stands after keeping what arrived. */
export function stopError(stop: BodyStop, upload: Upload, maxSize: number): StopError {
  switch (stop.kind) {
    case 'limit':
      return upload.length !== undefined ? new LengthExceeded(upload.length) : new MaxSizeExceeded(maxSize)
    case 'append-limit':
      return new AppendTooLarge(stop.limit, upload.offset)
    case 'idle':
      return new NetworkTimeout(stop.idleMs, upload.offset)
    case 'failed':
      return new BodyIncomplete(upload.offset, { cause: stop.error })
    case 'aborted':
      return abortError(stop.reason, upload)
  }
}

/** The fact for a signal's abort `reason` while a request worked on `upload`. */
export function abortError(reason: unknown, upload: Upload): StopError {
  if (reason instanceof ReleaseRequested) return new UploadInterrupted(upload.offset)
  if (reason instanceof StopRequested) return new UploadStopped(upload.offset, reason.details.answer)
  if (reason instanceof LockLoss) return new LockLost(upload.id, upload.offset)
  if (reason instanceof ShutdownRequested) return new ShuttingDown(upload.offset)
  // --min-body-rate: a body that trickles in too slowly ends as one that stalls: its bytes kept, a 5xx to resume from.
  if (reason instanceof BodyTooSlow) return new NetworkTimeout(reason.windowMs, upload.offset, reason)
  return new BodyIncomplete(upload.offset, { cause: reason })
}
