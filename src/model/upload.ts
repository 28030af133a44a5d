/**
 * Metadata as decoded key/value pairs (tus `Upload-Metadata`); a key may carry no value (null). A value is
 * text, or bytes that are not UTF-8 kept as lone surrogates U+DC80-U+DCFF (see protocol/tus-v1/metadata-value.ts).
 */
export type Metadata = Readonly<Record<string, string | null>>

/**
 * The state of one upload, shared by every protocol.
 *
 * `offset` is the number of bytes durably stored; `length` is the total size once known
 * (undefined while the client defers it). An upload is complete when its length is known
 * and every byte has arrived (unless the client still has to say so: `completionPending`).
 */
export interface Upload {
  readonly id: string
  readonly offset: number
  /** Total size in bytes; undefined while the length is deferred. */
  readonly length?: number
  readonly metadata: Metadata
  /** When the upload was created, as milliseconds since the epoch, if the store knows it. */
  readonly createdAt?: number
  /** When bytes were last written (or the upload created), in milliseconds since the epoch, if the store knows it. */
  readonly updatedAt?: number
  /** Whether the upload is a part of a concatenation (tus `concatenation`), and which. */
  readonly concat?: UploadConcat
  /**
   * When the upload will expire, in milliseconds since the epoch. Set by the service (never by a store)
   * when an expiration policy applies to the upload.
   */
  readonly expiresAt?: number
  /**
   * Every byte up to the length has arrived, but the client has not said the upload is complete: a
   * protocol where only the client completes an upload (the IETF draft, R-14) sent its last bytes with
   * "not complete". The upload is complete once a request says so (or one that does not care appends).
   */
  readonly completionPending?: boolean
  /** Digests of the whole upload the client gave or asked for at creation; see UploadDigests. */
  readonly digests?: UploadDigests
  /**
   * For a partial upload: the final uploads that named it (tus `concatenation`). Persisted with the
   * upload, so that no process removes a partial upload that a final upload on any host still needs.
   */
  readonly awaitedBy?: readonly string[]
  /**
   * The request this upload stands for, when the gateway hands the completed upload on to an application
   * (upstream mode): the draft's "resource targeted by the initial request". Persisted with the upload.
   */
  readonly target?: UploadTarget
  /** The target's application has answered the delivery of this upload (see `awaitsDelivery`). Persisted. */
  readonly delivered?: boolean
  /**
   * Where the store keeps the upload, as tusd's `Storage` map (filestore `{Type, Path, InfoPath}`, s3store
   * `{Type, Bucket, Key}`, ...): informative, for hook payloads (tusd's `FileInfo.Storage`). Set by the
   * store; undefined when it has nothing to tell (hooks then send `null`, as tusd does before creation).
   */
  readonly storage?: Readonly<Record<string, string>>
}

/**
 * The request an upload was created by, as the application behind the gateway is to receive it once the
 * upload is complete: its method, path and query, its end-to-end headers (the upload protocol's own fields
 * left out) and where it came from (for `Forwarded`). Recorded at creation and never changed.
 */
export interface UploadTarget {
  readonly method: string
  /** Path and query as the client sent them (not percent-decoded). */
  readonly uri: string
  /** End-to-end request headers, names in lower case (repeated fields joined as node joins them). */
  readonly headers: Readonly<Record<string, string>>
  /** The `Host` (HTTP/1.1) or `:authority` (HTTP/2) the client asked for, if any. */
  readonly host?: string
  /** The scheme of the client's connection. */
  readonly scheme: 'http' | 'https'
  /** The client's address (no port), if known. */
  readonly remoteAddress?: string
}

/**
 * Digests over the whole upload's bytes (RFC 9530 representation digests), kept from the creation
 * request until the upload completes: `expected` by algorithm name (e.g. `sha-256`) as base64, which
 * the completed upload must match; `wanted`, algorithm names the client asked to be told.
 */
export interface UploadDigests {
  readonly expected?: Readonly<Record<string, string>>
  readonly wanted?: readonly string[]
}

/**
 * The role of an upload in a concatenation: a partial upload receives bytes like any other; a final
 * upload receives none itself and becomes the bytes of its partial uploads, in order, once they are all complete.
 */
export type UploadConcat =
  | { readonly kind: 'partial' }
  | {
      readonly kind: 'final'
      /** Ids of the partial uploads, in order; an id may appear more than once. */
      readonly partials: readonly string[]
      /** The partial uploads as the client named them (URLs), kept so that responses can echo them. */
      readonly partialUrls?: readonly string[]
    }

/** What a client declares when it creates an upload. */
export interface UploadInit {
  readonly id: string
  readonly length?: number
  readonly metadata: Metadata
  /** A partial or final upload of a concatenation; undefined for a plain upload. */
  readonly concat?: UploadConcat
  readonly digests?: UploadDigests
  /** The request the completed upload is handed on as (upstream mode); undefined for a plain upload. */
  readonly target?: UploadTarget
}

/** True when the upload's length is known, every byte has arrived, and no completion is pending. */
export function isComplete(upload: Upload): boolean {
  return upload.length !== undefined && upload.offset === upload.length && upload.completionPending !== true
}

/**
 * True for an upload that is complete and has a target that has not answered its delivery yet (never
 * tried, failed, or cut short by a crash): it is delivered by the next request that completes it or asks
 * for it, and a protocol reports it as not complete (no final response was produced, draft R-45).
 */
export function awaitsDelivery(upload: Upload): boolean {
  return upload.target !== undefined && upload.delivered !== true && isComplete(upload)
}

/** True for a final upload whose partial uploads have not all been concatenated into it yet. */
export function isPendingFinal(upload: Upload): boolean {
  return upload.concat?.kind === 'final' && !isComplete(upload)
}

/** A byte range of an upload: `start` inclusive, `end` exclusive. */
export interface ByteRange {
  readonly start: number
  readonly end: number
}
