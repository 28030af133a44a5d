/**
 * The state of one upload, shared by every protocol.
 *
 * `offset` is the number of bytes durably stored; `length` is the total size once known
 * (undefined while the client defers it). An upload is complete when its length is known
 * and every byte has arrived.
 */
export interface Upload {
  readonly id: string
  readonly offset: number
  /** Total size in bytes; undefined while the length is deferred. */
  readonly length?: number
  /** Metadata as decoded key/value pairs (tus `Upload-Metadata`); a key may carry no value. */
  readonly metadata: Readonly<Record<string, string | null>>
  /** When the upload was created, as milliseconds since the epoch, if the store knows it. */
  readonly createdAt?: number
}

/** What a client declares when it creates an upload. */
export interface UploadInit {
  readonly id: string
  readonly length?: number
  readonly metadata: Readonly<Record<string, string | null>>
}

/** True when the upload's length is known and every byte has arrived. */
export function isComplete(upload: Upload): boolean {
  return upload.length !== undefined && upload.offset === upload.length
}

/** Bytes still expected, or undefined while the length is deferred. */
export function remaining(upload: Upload): number | undefined {
  return upload.length === undefined ? undefined : upload.length - upload.offset
}
