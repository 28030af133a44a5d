import type { Readable } from 'node:stream'
import type { ByteRange, Upload, UploadInit } from '../model/upload.js'

/**
 * What a store can do, declared once: the service checks it against the methods at start-up (a store
 * that claims a capability without its method, or the reverse, is refused) and each protocol advertises
 * only what is there.
 */
export interface StoreCapabilities {
  /** `StoredUpload.terminate`: uploads can be removed (tus `termination`, draft cancellation, expiration). */
  readonly terminate: boolean
  /** `create` takes an upload without a length, and `update({ length })` declares it later. */
  readonly deferLength: boolean
  /** `StoredUpload.read`: finished uploads can be downloaded. */
  readonly read: boolean
  /** `StoredUpload.rollBack`: the bytes of one append can be dropped again (checksums, digests). */
  readonly rollBack: boolean
  /** Partial and final uploads (`UploadInit.concat`) and `StoredUpload.concatenate`. */
  readonly concat: boolean
  /** `Store.list`, and `updatedAt` on every upload, so that uploads can expire. */
  readonly expire: boolean
  /**
   * Parts of an upload other than its last are at least this many bytes (S3: 5 MiB); the store keeps a
   * shorter tail of an append by other means (tusd's `.part` object). Informative: the core never needs it.
   */
  readonly minPartSize?: number
  /** The largest upload the backend holds (S3: 5 TiB); `Tus-Max-Size` and the draft's `max-size` never promise more. */
  readonly maxSize?: number
}

/** Changes to an upload's stored state (not its bytes), written together. */
export interface UploadChanges {
  /** Declares the length of an upload created without one (`capabilities.deferLength`). */
  readonly length?: number
  /** Whether every byte is there but the client has yet to complete the upload (`Upload.completionPending`). */
  readonly completionPending?: boolean
  /** The final uploads that wait for this partial upload (`Upload.awaitedBy`); replaces the list. */
  readonly awaitedBy?: readonly string[]
  /** The upload's target has answered its delivery (`Upload.delivered`; only for uploads with a `target`). */
  readonly delivered?: boolean
}

/**
 * Persists uploads. Every store passes the shared conformance suite (`resumable-gateway/testing`:
 * `runStoreSuite`). The service calls a store only while it holds the upload's lock (except `open` for
 * a read-only look), so a store never has to guard against two writers of one upload.
 *
 * Every method takes an `AbortSignal`: it aborts at shutdown, when another request asks for the upload,
 * and when the lock is lost. A store stops its network calls then, keeps what it has confirmed, and
 * rejects with `signal.reason` (or resolves with what it kept, for `append`).
 */
export interface Store {
  readonly capabilities: StoreCapabilities
  /**
   * Whether `id` can name an upload here, checked before any I/O (tusd's S3 ids contain `+`; a file store
   * refuses anything that could be a path). False answers 404 without touching the store.
   */
  isValidId(id: string): boolean
  /**
   * Creates an empty upload. `init.id` is the wanted id (valid by `isValidId`); the store may extend it
   * (tusd's S3 store appends `+<multipartId>`): the handle's `state.id` is the upload's id. Throws
   * `RangeError` for an invalid init, and the store's errors (e.g. the id is taken).
   */
  create(init: UploadInit, signal: AbortSignal): Promise<StoredUpload>
  /**
   * Reads an upload once for this request (its info, parts, tail: whatever the state takes) and returns
   * a handle that keeps what it learned. Throws `UploadNotFound` (also for an id `isValidId` refuses).
   */
  open(id: string, signal: AbortSignal): Promise<StoredUpload>
  /** Every upload id in the store, in no particular order, read lazily (the store may be large). */
  list?(signal: AbortSignal): AsyncIterable<string>
  /**
   * Removes what the store's own crashes left behind (temporary files, orphaned parts), never anything an
   * upload still uses; called at start-up and by the expiration sweeper. Resolves with the bytes freed.
   */
  sweepLeftovers?(signal: AbortSignal): Promise<number>
  /** Frees what the store holds (connections, timers). */
  close?(): Promise<void>
  /** Starts reporting its own work to `instruments` (the S3 store: tusd's `tusd_s3_*` series); others leave it out. */
  instrument?(instruments: StoreInstruments): void
}

/** What a store reports of its own work, for the series its tusd counterpart exports; see `Store.instrument`. */
export interface StoreInstruments {
  /** A call to the backend, all its attempts, took `ms`; `operation` in tusd's words (`upload_part`, `put_info_object`). */
  request(operation: string, ms: number): void
  /** A part was received into its buffer, from its creation until its bytes were all written, in `ms`. */
  partBuffered(ms: number): void
  /** Read at each scrape: part uploads that want a slot (waiting or uploading), and the slots there are. */
  uploadSlots(read: () => { readonly demand: number; readonly limit: number }): void
}

/**
 * One upload, opened for one request. `state` is what the store holds now; every method that changes
 * the upload resolves with the new state and `state` follows it.
 */
export interface StoredUpload {
  readonly state: Upload
  /**
   * True once the upload is stored as finished: complete and `finish` has run (always equal to
   * `isComplete(state)` for stores whose `finish` does nothing). The service calls `finish` whenever an
   * upload is complete but not finished, so a crash between the last byte and `finish` heals itself.
   */
  readonly finished: boolean
  /**
   * Appends `body` at `state.offset` and resolves with the new state. Every byte counted in it is durable
   * (a tail below `minPartSize` too); a body that ends early, or a `signal` that aborts, leaves the bytes
   * that arrived stored (as far as the backend confirmed them) and resolves normally. If the body iterator
   * throws, the bytes before are stored and its error is rethrown. Throws `UploadNotFound`, `StorageFull`
   * (after keeping what fit), `StoreUnavailable`.
   */
  append(body: AsyncIterable<Uint8Array>, signal: AbortSignal): Promise<Upload>
  /** Writes changes to the upload's state (not its bytes). Throws `UploadNotFound`, `RangeError` for a bad length. */
  update(changes: UploadChanges, signal: AbortSignal): Promise<Upload>
  /**
   * Called by the service once the upload is complete (S3: CompleteMultipartUpload, GCS: compose, Azure:
   * commitBlockList); afterwards `finished` is true and `read` works. Safe to call again.
   */
  finish(signal: AbortSignal): Promise<Upload>
  /**
   * Drops the bytes of this handle's last `append` (the upload goes back to the offset it had before it):
   * a checked body whose checksum failed counts for nothing. Needs `capabilities.rollBack`.
   */
  rollBack?(signal: AbortSignal): Promise<Upload>
  /** Removes the upload and its bytes. Throws `UploadNotFound`. Needs `capabilities.terminate`. */
  terminate?(signal: AbortSignal): Promise<void>
  /**
   * The bytes of a finished upload, or of `range` of them, streamed. Never asked for an unfinished one.
   * Throws `RangeError` when the range is not within the upload. Needs `capabilities.read`.
   */
  read?(range: ByteRange | undefined, signal: AbortSignal): Promise<Readable>
  /**
   * Makes this final upload's bytes those of `partials` (finished uploads, in order; one may repeat), all
   * or nothing, never holding an upload in memory (a copy, or a server-side compose). Resolves with the
   * state (complete; `finish` follows). Needs `capabilities.concat`.
   */
  concatenate?(partials: readonly StoredUpload[], signal: AbortSignal): Promise<Upload>
}
