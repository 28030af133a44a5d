import type { Readable } from 'node:stream'
import type { Upload, UploadInit } from '../core/upload.js'

/** What a store can do; checked once at start-up and advertised by each protocol. */
export interface StoreCapabilities {
  readonly terminate: boolean
  readonly deferLength: boolean
  readonly read: boolean
  /** The store can cut an upload back to an earlier offset (needed to discard a chunk whose checksum fails). */
  readonly truncate: boolean
  /** The store keeps partial and final uploads (`UploadInit.concat`) and can `concatenate` them. */
  readonly concat: boolean
  /** The store reports `updatedAt` on every upload and can `list` them, so that uploads can expire. */
  readonly expire: boolean
}

/** A byte range of a finished upload: `start` inclusive, `end` exclusive. */
export interface ByteRange {
  readonly start: number
  readonly end: number
}

/**
 * Persists uploads. Every store runs the shared conformance suite (`store/conformance.suite.ts`).
 *
 * Contract of `append`: it writes the body's bytes at `offset`, in order, and returns the new offset.
 * Every byte counted in the returned offset is durably stored; a body that ends early (the caller stops
 * it when a lock release is requested or the client goes away) leaves the bytes that arrived stored.
 * If the body iterator throws, the bytes before the throw are stored and the error is rethrown.
 *
 * `truncate` is only ever asked to go back to the offset at which the current request began (a body
 * whose checksum failed is discarded as a whole), so a store that writes in parts can drop that
 * request's parts rather than cut arbitrary bytes.
 */
export interface Store {
  readonly capabilities: StoreCapabilities
  /** Creates an empty upload. */
  create(init: UploadInit): Promise<Upload>
  /** Reads an upload's state. Throws `UploadNotFound`. */
  get(id: string): Promise<Upload>
  /** Appends a body at `offset` (the caller has checked it) and returns the new offset. Throws `UploadNotFound`. */
  append(id: string, offset: number, body: AsyncIterable<Uint8Array>): Promise<number>
  /** Sets the length of an upload created with a deferred length. Throws `UploadNotFound`. */
  declareLength?(id: string, length: number): Promise<Upload>
  /** Records whether the upload waits for its client to complete it (`Upload.completionPending`). Throws `UploadNotFound`. */
  setCompletionPending?(id: string, pending: boolean): Promise<Upload>
  /** Removes an upload and its data. Throws `UploadNotFound`. */
  terminate?(id: string): Promise<void>
  /** Cuts an upload back to `offset` bytes (discarding a rejected chunk). Throws `UploadNotFound`. */
  truncate?(id: string, offset: number): Promise<void>
  /** Streams the bytes of an upload (the caller has checked it is complete). Throws `UploadNotFound`. */
  read?(id: string, range?: ByteRange): Promise<Readable>
  /**
   * Makes the bytes of the final upload `id` the bytes of `partials` (ids, complete uploads, in order; an id
   * may repeat), and returns the final upload, now complete. All or nothing: until it resolves, the final
   * upload has no bytes. Never holds a whole upload in memory (a file store copies, an object store can
   * compose or copy parts server-side). Throws `UploadNotFound` for the final upload or a partial one.
   */
  concatenate?(id: string, partials: readonly string[]): Promise<Upload>
  /** Every upload id in the store, in no particular order, read lazily (the store may be large). */
  list?(): AsyncIterable<string>
}
