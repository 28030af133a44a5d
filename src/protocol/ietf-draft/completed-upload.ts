import type { Exchange } from '../../transport/exchange.js'
import { DraftRefusal } from './refusal.js'
import type { InteropVersion } from './versions.js'

/**
 * R-60 for a request appending to a completed upload, as the row says: refuse it (400 `completed-upload`),
 * or (-10/-11) treat content as an inconsistent length and an empty append as 410 `completed-upload`,
 * or let a valid one (completing, at the final offset, empty) replay the completing answer.
 */
export async function refuseAppendToCompleted(
  row: InteropVersion,
  exchange: Exchange,
  bodySize: number | undefined,
  complete: boolean,
  location: string,
): Promise<void> {
  const detail = 'the upload is already complete: no more content can be appended'
  switch (row.appendToCompleted) {
    case 'reject':
      throw new DraftRefusal('COMPLETED_UPLOAD', { status: 400, type: 'completed-upload', detail })
    case 'gone-or-inconsistent':
      if (!(await isEmptyBody(exchange, bodySize))) {
        throw new DraftRefusal('COMPLETED_UPLOAD', { status: 400, type: 'inconsistent-upload-length', detail })
      }
      throw new DraftRefusal('COMPLETED_UPLOAD', { status: 410, type: 'completed-upload', detail, headers: { location } })
    case 'replay':
      // Replaying needs a request that could have completed it; content or a wrong offset fail in the core.
      if (!complete) throw new DraftRefusal('COMPLETED_UPLOAD', { status: 400, detail })
  }
}

async function isEmptyBody(exchange: Exchange, bodySize: number | undefined): Promise<boolean> {
  if (bodySize !== undefined) return bodySize === 0
  const first = await exchange.body[Symbol.asyncIterator]().next()
  return first.done === true
}
