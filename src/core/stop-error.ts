import { BodyIncomplete, LengthExceeded, MaxSizeExceeded, NetworkTimeout, ShuttingDown, UploadInterrupted } from '../model/errors.js'
import type { BodyStop } from './guarded-body.js'
import { ReleaseRequested, ShutdownRequested } from '../model/stop-reasons.js'
import type { Upload } from '../model/upload.js'

/** The facts a body that stopped early can report; the bytes that arrived are kept in every case. */
export type StopError = LengthExceeded | MaxSizeExceeded | UploadInterrupted | NetworkTimeout | BodyIncomplete | ShuttingDown

/** Explains why a body stopped before its end, given the upload as it stands after keeping what arrived. */
export function stopError(stop: BodyStop, upload: Upload, maxSize: number): StopError {
  switch (stop.kind) {
    case 'limit':
      return upload.length !== undefined ? new LengthExceeded(upload.length) : new MaxSizeExceeded(maxSize)
    case 'idle':
      return new NetworkTimeout(stop.idleMs, upload.offset)
    case 'failed':
      return new BodyIncomplete(upload.offset, { cause: stop.error })
    case 'aborted':
      if (stop.reason instanceof ReleaseRequested) return new UploadInterrupted(upload.offset)
      if (stop.reason instanceof ShutdownRequested) return new ShuttingDown(upload.offset)
      return new BodyIncomplete(upload.offset, { cause: stop.reason })
  }
}
