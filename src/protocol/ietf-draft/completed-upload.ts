import { DraftRefusal } from './refusal.js'
import type { InteropVersion } from './versions.js'

const DETAIL = 'the upload is already complete: no more content can be appended'

/**
 * R-60 for a request appending to a completed upload, decided before its content is read, as the row
 * says: refuse it (400 `completed-upload`), or (-10/-11) treat content as an inconsistent length and an
 * empty append as gone (`completedUploadGone`), or let a valid one (completing, at the final offset,
 * empty) replay the completing answer. Throws DraftRefusal.
 *
 * Content of unknown size (chunked) is never read here, where the upload's lock is held without the
 * guards of a request body (a stalled client would keep the upload from every other request): the
 * service passes it on as any body, stopped at its first byte since the upload's length is reached (an
 * inconsistent length), and the codec answers one that turned out empty with `completedUploadGone`.
 */
export function refuseAppendToCompleted(row: InteropVersion, bodySize: number | undefined, complete: boolean, location: string): void {
  switch (row.appendToCompleted) {
    case 'reject':
      throw new DraftRefusal('COMPLETED_UPLOAD', { status: 400, type: 'completed-upload', detail: DETAIL })
    case 'gone-or-inconsistent':
      if (bodySize === undefined) return
      if (bodySize > 0) throw completedUploadInconsistent()
      throw completedUploadGone(location)
    case 'replay':
      // Replaying needs a request that could have completed it; content or a wrong offset fail in the core.
      if (!complete) throw new DraftRefusal('COMPLETED_UPLOAD', { status: 400, detail: DETAIL })
  }
}

/** Content for an upload that is already complete: its length would change, an inconsistent length (R-60; R-13). */
export function completedUploadInconsistent(): DraftRefusal {
  return new DraftRefusal('COMPLETED_UPLOAD', { status: 400, type: 'inconsistent-upload-length', detail: DETAIL })
}

/** -10/-11: an empty append to a completed upload is answered 410 `completed-upload`, naming the upload. */
export function completedUploadGone(location: string): DraftRefusal {
  return new DraftRefusal('COMPLETED_UPLOAD', { status: 410, type: 'completed-upload', detail: DETAIL, headers: { location } })
}
