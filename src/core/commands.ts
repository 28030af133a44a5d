import type { Readable } from 'node:stream'
import type { Answer } from '../model/answer.js'
import type { RequestInfo } from '../model/request-info.js'
import type { ByteRange, Metadata, Upload, UploadConcat, UploadDigests, UploadTarget } from '../model/upload.js'
import type { BodyCheck } from './body/body-check.js'
import type { DeliveryResponse } from './delivery.js'

// The commands and results of the UploadService: what a protocol codec hands it and gets back.

/** Per request. */
export interface RequestContext {
  /** Aborted when the client goes away or the gateway shuts down, with a reason from model/stop-reasons.ts. */
  readonly signal: AbortSignal
  /** The request's facts, for hooks, events and logs; undefined for work the gateway does on its own. */
  readonly request?: RequestInfo
}

/** What the codec needs to know while a body streams in (draft progress 104s). */
export type ProgressListener = (offset: number) => void

/**
 * A check of the whole upload once a request completes it (the draft's `Repr-Digest`). It runs under the
 * upload's lock, after the store finished the upload and before anyone hears it is complete; a failure
 * removes the upload (the draft: "consider the upload failed") and is the request's answer.
 */
export interface CompletionCheck {
  /**
   * Called under the lock before the request's bytes are written, with the upload's state then; returns an
   * observer to see every byte this request appends (to hash a representation carried whole), or undefined.
   */
  begin?(before: Upload): ((chunk: Uint8Array) => void) | undefined
  /** The upload is complete; `read` streams its bytes. Throws to refuse it. */
  verify(upload: Upload, read: () => Promise<AsyncIterable<Uint8Array>>): Promise<void>
}

/** Body-related parts shared by creation and append. */
interface BodyCommand {
  /** The body's announced size, if known: a body that cannot fit is refused before it is read. */
  readonly bodySize?: number
  /**
   * Most bytes this request may carry (the draft's `max-append-size`); a body going past it is stopped
   * there, its bytes up to it kept, and the request fails with AppendTooLarge.
   */
  readonly maxBytes?: number
  /**
   * Checks over this body's bytes. The body then counts all or nothing: if it stops early (unless every
   * check says `allOrNothing: false`) or a check fails, the upload goes back to where the request
   * started. Needs a store that can roll back.
   */
  readonly checks?: readonly BodyCheck[]
  /**
   * `true`: the client says this body ends the upload: once it is fully received, the length becomes
   * the offset reached (or must equal the known length: LengthMismatch otherwise). `false`: the client
   * says it does not, even if the length is reached (the upload then waits: `completionPending`).
   * Undefined: the upload is complete once its length is reached.
   */
  readonly complete?: boolean
  readonly completionCheck?: CompletionCheck
  /** Told the offset reached every progress interval while the body streams, when it grew (never for checked bodies). */
  readonly onProgress?: ProgressListener
  /**
   * The draft from -06: an upload whose lengths turn out inconsistent (content past its length, a length
   * that differs from the known one) is removed, so later requests find nothing.
   */
  readonly removeWhenInconsistent?: boolean
}

export interface CreateCommand extends BodyCommand {
  readonly length?: number
  readonly metadata: Metadata
  /** Bytes sent with the creation request (creation-with-upload), if any. */
  readonly body?: AsyncIterable<Uint8Array>
  /**
   * A partial upload, or a final upload of these partial uploads (tus `concatenation`). A final upload
   * takes neither `length` (it is the sum of its parts') nor `body`.
   */
  readonly concat?: UploadConcat
  /** Digests of the whole upload to keep with it until it completes. */
  readonly digests?: UploadDigests
  /** Called once the upload exists, before its body is read (e.g. to announce its URL in an interim response). */
  readonly onCreated?: (upload: Upload) => void
  /** Nothing may be left behind if the request fails (the draft, when it offered no resumption). */
  readonly removeOnFailure?: boolean
  /**
   * The request the upload is to be delivered as once complete (upstream mode; needs the service's
   * delivery port): the request that completes it gets the target's answer in `WriteResult.delivered`.
   */
  readonly target?: UploadTarget
}

export interface AppendCommand extends BodyCommand {
  readonly offset: number
  /** A length declared with this request (deferred length), if any. */
  readonly length?: number
  readonly body: AsyncIterable<Uint8Array>
  /**
   * Called with the upload's state under its lock, before anything is checked or written; throwing
   * refuses the request and leaves the upload untouched (e.g. an append to a completed upload).
   */
  readonly precondition?: (upload: Upload) => void | Promise<void>
}

/** What a request that may complete an upload gets back. */
export interface WriteResult {
  readonly upload: Upload
  /** The state before the request wrote anything (undefined for a creation). */
  readonly before?: Upload
  /** Merged into the answer: what hooks said (pre-create, pre-finish). */
  readonly answer?: Answer
  /**
   * The answer of the upload's target, when this request delivered the upload (upstream mode): the caller
   * passes its body on to the client or discards it.
   */
  readonly delivered?: DeliveryResponse
}

export interface ReadResult {
  readonly upload: Upload
  /** The bytes chosen, or undefined for the whole upload. */
  readonly range: ByteRange | undefined
  readonly stream: Readable
}
