import { parseNonNegativeInteger } from './sf-values.js'

/** The field that marks a draft request and names its interop version (App. B); every 104 and answer echoes it. */
export const INTEROP_VERSION_FIELD = 'upload-draft-interop-version'

/** The problem types of the draft (RFC 9457), each defined by some interop versions only. */
export type ProblemType = 'mismatching-upload-offset' | 'completed-upload' | 'inconsistent-upload-length'

/**
 * What one interop version of "Resumable Uploads for HTTP" says, as feature flags. The codec reads
 * these flags and never compares version numbers: a new interop version is a new row.
 */
export interface InteropVersion {
  /** The `Upload-Draft-Interop-Version` value. */
  readonly version: number
  /** The draft texts the row follows (the newest one wins where they differ). */
  readonly drafts: string
  /**
   * The completeness field: `upload-incomplete` (-01: true means more data follows) or
   * `upload-complete` (-02 on: true means this request ends the upload).
   */
  readonly completeness: 'upload-complete' | 'upload-incomplete'
  /** `Upload-Length` exists: read from creation and append requests, sent on offset retrieval (-05 on). */
  readonly uploadLength: boolean
  /** `Upload-Complete: ?1` with a `Content-Length` records the length (-02 on). */
  readonly contentLengthIsLength: boolean
  /** An append must be `PATCH` with `Content-Type: application/partial-upload` (-04 on). */
  readonly partialUploadMediaType: boolean
  /** An append without the completeness field: `complete` (up to -05: absent means the last one) or `reject` (-06 on: MUST include it). */
  readonly appendWithoutCompleteness: 'complete' | 'reject'
  /** A field whose value is not of its structured type: `reject` (400) or `ignore` (-09 on: "MUST cause the field to be ignored"). */
  readonly invalidField: 'reject' | 'ignore'
  /** Request fields that make an offset retrieval a 400 (-01 to -05). */
  readonly forbiddenOnRetrieval: readonly string[]
  /** Request fields that make a cancellation a 400 (-01 to -05). */
  readonly forbiddenOnCancel: readonly string[]
  /** `GET` retrieves the offset as `HEAD` does (-12 on). */
  readonly getRetrievesOffset: boolean
  /**
   * An expired upload is answered 404 as any inactive one (-01 to -05: "If the server does not consider the upload
   * resource to be active, it MUST respond with a 404 (Not Found) status code"); later drafts leave it open: 410.
   */
  readonly expiredIsNotFound: boolean
  /** `Upload-Limit` exists, and the name of its lifetime key (`expires` in -04/-05, `max-age` from -06). */
  readonly uploadLimit: false | { readonly lifetimeKey: 'expires' | 'max-age' }
  /** `max-append-size` and `min-append-size` also govern creation requests with content (-12 on). */
  readonly appendLimitsCoverCreation: boolean
  /** Interim 104 responses may report progress with `Upload-Offset` (-03 on; -01/-02 allow only the one with `Location`). */
  readonly progressInformational: boolean
  /** Status of a successful append that does not complete the upload, and of one that does. */
  readonly appendStatus: { readonly incomplete: number; readonly complete: number }
  /**
   * A body that goes past the known length: `reject` (-04/-05: stop at the length, answer 400) or
   * `invalidate` (-06 on: reject, mark the upload invalid, refuse all further interaction).
   */
  readonly lengthExceeded: 'reject' | 'invalidate'
  /**
   * An append to an upload that is already complete: `replay` (answer a valid one like the completing
   * append; up to -03, and -12 on), `reject` (-04 to -09: MUST NOT modify, 400 `completed-upload`),
   * `gone-or-inconsistent` (-10/-11: content is an inconsistent length, an empty one is 410 `completed-upload`).
   */
  readonly appendToCompleted: 'replay' | 'reject' | 'gone-or-inconsistent'
  /**
   * What the answer to a failed creation or append says about the upload: `upload-state` (-01 to -05:
   * "MUST send the Upload-Offset header ... if it considers the upload active, either when the response
   * is a success ... or when the response is a failure"; the completeness field then tells the upload's
   * state, as on success) or `not-complete` (-06 on: "any response, successful or not" to a request that
   * did not complete the upload carries `Upload-Complete: ?0`).
   */
  readonly failureFields: 'upload-state' | 'not-complete'
  /** Problem types this version defines; other errors are `about:blank` problems. */
  readonly problemTypes: readonly ProblemType[]
  /** `Content-Digest`, `Repr-Digest` and `Want-Repr-Digest` (RFC 9530) are part of the protocol (-04 on). */
  readonly digests: boolean
}

const V3: InteropVersion = {
  version: 3,
  drafts: '-01',
  completeness: 'upload-incomplete',
  uploadLength: false,
  contentLengthIsLength: false,
  partialUploadMediaType: false,
  appendWithoutCompleteness: 'complete',
  invalidField: 'reject',
  forbiddenOnRetrieval: ['upload-offset', 'upload-incomplete'],
  forbiddenOnCancel: ['upload-offset', 'upload-incomplete'],
  getRetrievesOffset: false,
  expiredIsNotFound: true,
  uploadLimit: false,
  appendLimitsCoverCreation: false,
  progressInformational: false,
  // -01: "MUST acknowledge it by responding with the 201 (Created) status code"; 201 RECOMMENDED on completion.
  appendStatus: { incomplete: 201, complete: 201 },
  lengthExceeded: 'reject',
  appendToCompleted: 'replay',
  failureFields: 'upload-state',
  problemTypes: [],
  digests: false,
}

const V4: InteropVersion = {
  ...V3,
  version: 4,
  drafts: '-02',
  completeness: 'upload-complete',
  contentLengthIsLength: true,
  forbiddenOnRetrieval: ['upload-offset', 'upload-complete'],
  forbiddenOnCancel: ['upload-offset', 'upload-complete'],
}

const V5: InteropVersion = { ...V4, version: 5, drafts: '-03', progressInformational: true }

const V6: InteropVersion = {
  ...V5,
  version: 6,
  drafts: '-04, -05',
  uploadLength: true,
  partialUploadMediaType: true,
  // -05 §4: HEAD "MUST NOT include an Upload-Offset, Upload-Complete, or Upload-Length header field".
  forbiddenOnRetrieval: ['upload-offset', 'upload-complete', 'upload-length'],
  uploadLimit: { lifetimeKey: 'expires' },
  appendToCompleted: 'reject',
  problemTypes: ['mismatching-upload-offset', 'completed-upload'],
  digests: true,
}

const V7: InteropVersion = {
  ...V6,
  version: 7,
  drafts: '-06, -07, -08',
  appendWithoutCompleteness: 'reject',
  forbiddenOnRetrieval: [],
  forbiddenOnCancel: [],
  expiredIsNotFound: false,
  uploadLimit: { lifetimeKey: 'max-age' },
  // -08 examples: 204 for an append that does not complete, the target's 200 for one that does.
  appendStatus: { incomplete: 204, complete: 200 },
  lengthExceeded: 'invalidate',
  failureFields: 'not-complete',
  problemTypes: ['mismatching-upload-offset', 'completed-upload', 'inconsistent-upload-length'],
}

const V8: InteropVersion = {
  ...V7,
  version: 8,
  drafts: '-09, -10, -11',
  invalidField: 'ignore',
  appendToCompleted: 'gone-or-inconsistent',
}

const V9: InteropVersion = {
  ...V8,
  version: 9,
  drafts: '-12 (change notes in spec/notes.md §1.1; text of the editor\u2019s copy of 2026-07-01)',
  getRetrievesOffset: true,
  appendLimitsCoverCreation: true,
  appendToCompleted: 'replay',
  problemTypes: ['mismatching-upload-offset', 'inconsistent-upload-length'],
}

const V10: InteropVersion = { ...V9, version: 10, drafts: '-13 (change notes in spec/notes.md §1.1)' }

/** Every interop version the gateway speaks, oldest first. */
export const INTEROP_VERSIONS: readonly InteropVersion[] = [V3, V4, V5, V6, V7, V8, V9, V10]

/** The newest row: the semantics for requests whose interop version is unknown (see `draftRequestOf`). */
export const NEWEST: InteropVersion = V10

/**
 * How one request speaks the draft: its row, and the version to echo (undefined when the request's
 * version is missing or unknown: then no 104 is sent and no version echoed, App. B / R-32).
 */
export interface DraftDialect {
  readonly row: InteropVersion
  readonly echo: string | undefined
}

/**
 * The dialect of a request from its `Upload-Draft-Interop-Version` (an SF Integer). An unknown or
 * malformed version is served with the newest semantics but never announced: no 104, no echo.
 */
export function dialectOf(value: string | undefined): DraftDialect {
  // An SF Integer: `6.0` (a Decimal) is not one.
  const version = value === undefined ? undefined : parseNonNegativeInteger(value)
  const row = INTEROP_VERSIONS.find((candidate) => candidate.version === version)
  return row === undefined ? { row: NEWEST, echo: undefined } : { row, echo: String(row.version) }
}
