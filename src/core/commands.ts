import type { Readable } from 'node:stream'
import type { ByteRange } from '../store/store.js'
import type { BodyCheck } from './body-check.js'
import type { Upload, UploadConcat, UploadDigests } from '../model/upload.js'

// The commands and results of the UploadService: what a protocol codec hands it and gets back.

/** Per request: aborted when the client goes away or the gateway shuts down, with a reason from stop-reasons.ts. */
export interface RequestContext {
  readonly signal: AbortSignal
}

export interface CreateCommand {
  readonly length?: number
  readonly metadata: Readonly<Record<string, string | null>>
  /** Bytes sent with the creation request (creation-with-upload), if any. */
  readonly body?: AsyncIterable<Uint8Array>
  /** The body's announced size, if known: a body that cannot fit is refused before it is read. */
  readonly bodySize?: number
  /** Checks over the body's bytes (checksums, digests); see AppendCommand. */
  readonly checks?: readonly BodyCheck[]
  /** The body is the last of the upload, or explicitly not; see AppendCommand. */
  readonly complete?: boolean
  /**
   * A partial upload, or a final upload of these partial uploads (tus `concatenation`). A final upload
   * takes neither `length` (it is the sum of its parts') nor `body`.
   */
  readonly concat?: UploadConcat
  /** Digests of the whole upload to keep with it until it completes. */
  readonly digests?: UploadDigests
  /** Called once the upload exists, before its body is read (e.g. to announce its URL in an interim response). */
  readonly onCreated?: (upload: Upload) => void
}

export interface AppendCommand {
  readonly offset: number
  /** A length declared with this request (deferred length), if any. */
  readonly length?: number
  readonly body: AsyncIterable<Uint8Array>
  /** The body's announced size, if known: a body that cannot fit is refused before it is read. */
  readonly bodySize?: number
  /**
   * Checks over this body's bytes. The body then counts all or nothing: if it stops early (unless every
   * check says `allOrNothing: false`) or a check fails, the upload is cut back to where the request
   * started. Needs a store that can truncate.
   */
  readonly checks?: readonly BodyCheck[]
  /**
   * `true`: the client says this body ends the upload: once it is fully received, the length becomes
   * the offset reached (or must equal the known length: LengthMismatch otherwise). `false`: the client
   * says it does not, even if the length is reached (the upload then waits: `completionPending`).
   * Undefined: the upload is complete once its length is reached.
   */
  readonly complete?: boolean
  /**
   * Called with the upload's state under its lock, before anything is checked or written; throwing
   * refuses the request and leaves the upload untouched (e.g. an append to a completed upload).
   */
  readonly precondition?: (upload: Upload) => void | Promise<void>
}

export interface ReadResult {
  readonly upload: Upload
  /** The bytes chosen, or undefined for the whole upload. */
  readonly range: ByteRange | undefined
  readonly stream: Readable
}
