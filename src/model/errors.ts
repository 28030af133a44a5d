import type { Answer } from './answer.js'

/**
 * Facts the core reports about uploads. They carry no HTTP status: every protocol codec maps each
 * `code` to its own response, and a test checks that every code is mapped by every codec.
 */
export abstract class UploadError extends Error {
  abstract readonly code: string
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = new.target.name
  }
}

/** No upload with this id exists (never created, terminated, or not one of ours). */
export class UploadNotFound extends UploadError {
  readonly code = 'UPLOAD_NOT_FOUND'
  constructor(readonly id: string) {
    super(`upload ${id} not found`)
  }
}

/** The client's offset differs from the stored one; the upload was not touched. */
export class OffsetMismatch extends UploadError {
  readonly code = 'OFFSET_MISMATCH'
  constructor(readonly expected: number, readonly provided: number) {
    super(`expected offset ${expected}, got ${provided}`)
  }
}

/** The body carried more bytes than the upload's length allows; bytes up to the length were kept. */
export class LengthExceeded extends UploadError {
  readonly code = 'LENGTH_EXCEEDED'
  constructor(readonly length: number) {
    super(`the body goes past the upload length of ${length} bytes`)
  }
}

/** The upload is larger than the gateway accepts (`length` is undefined when it was deferred and the body went past). */
export class MaxSizeExceeded extends UploadError {
  readonly code = 'MAX_SIZE_EXCEEDED'
  constructor(readonly maxSize: number, readonly length?: number) {
    super(
      length === undefined
        ? `the upload goes past the maximum size of ${maxSize} bytes`
        : `upload length ${length} exceeds the maximum size of ${maxSize} bytes`,
    )
  }
}

/** A length was declared for an upload whose length is already known, and the two differ. */
export class LengthMismatch extends UploadError {
  readonly code = 'LENGTH_MISMATCH'
  constructor(readonly current: number, readonly declared: number) {
    super(`upload length is already ${current}, cannot change it to ${declared}`)
  }
}

/** A declared length is smaller than the bytes already stored. */
export class LengthBelowOffset extends UploadError {
  readonly code = 'LENGTH_BELOW_OFFSET'
  constructor(readonly offset: number, readonly declared: number) {
    super(`upload length ${declared} is smaller than the ${offset} bytes already received`)
  }
}

/** The upload is not complete, so it cannot be read. */
export class UploadIncomplete extends UploadError {
  readonly code = 'UPLOAD_INCOMPLETE'
  constructor(readonly offset: number, readonly length: number | undefined) {
    super(`upload is not finished: ${offset} of ${length ?? 'an unknown number of'} bytes received`)
  }
}

/** Another request held the upload's lock and did not let go in time. */
export class LockTimeout extends UploadError {
  readonly code = 'LOCK_TIMEOUT'
  constructor(readonly id: string, readonly waitedMs: number) {
    super(`upload ${id} is busy: another request did not release it within ${waitedMs} ms`)
  }
}

/** A newer request for the same upload asked this one to stop; what arrived was kept. */
export class UploadInterrupted extends UploadError {
  readonly code = 'UPLOAD_INTERRUPTED'
  constructor(readonly offset: number) {
    super(`upload interrupted by a newer request for it; ${offset} bytes are stored`)
  }
}

/**
 * The body sent nothing for too long (or, with `tooSlow`, arrived slower than the minimum rate over
 * `idleMs`); what arrived was kept.
 */
export class NetworkTimeout extends UploadError {
  readonly code = 'NETWORK_TIMEOUT'
  constructor(readonly idleMs: number, readonly offset: number, tooSlow?: { readonly minBytesPerSecond: number; readonly observedBytesPerSecond: number }) {
    super(
      tooSlow === undefined
        ? `no data received for ${idleMs} ms; ${offset} bytes are stored`
        : `the request body arrived at ${tooSlow.observedBytesPerSecond} bytes/s over ${idleMs} ms, below the minimum of ${tooSlow.minBytesPerSecond} bytes/s; ${offset} bytes are stored`,
    )
  }
}

/** The request body ended early (connection lost, truncated chunked body); what arrived was kept. */
export class BodyIncomplete extends UploadError {
  readonly code = 'BODY_INCOMPLETE'
  constructor(readonly offset: number, options?: { cause?: unknown }) {
    super(`the request body ended early; ${offset} bytes are stored`, options)
  }
}

/** The gateway is shutting down; what arrived was kept. */
export class ShuttingDown extends UploadError {
  readonly code = 'SHUTTING_DOWN'
  constructor(readonly offset?: number, options?: { cause?: unknown }) {
    super(offset === undefined ? 'the server is shutting down' : `the server is shutting down; ${offset} bytes are stored`, options)
  }
}

/** The store cannot do what was asked (for example, it has no termination). */
export class NotSupported extends UploadError {
  readonly code = 'NOT_SUPPORTED'
  constructor(readonly operation: string) {
    super(`this store does not support ${operation}`)
  }
}

/** The bytes of a request do not match the checksum the client sent with them; they were discarded. */
export class ChecksumMismatch extends UploadError {
  readonly code = 'CHECKSUM_MISMATCH'
  /** `expected` and `actual` are the digests in base64. */
  constructor(readonly algorithm: string, readonly expected: string, readonly actual: string) {
    super(`${algorithm} checksum mismatch: the client sent ${expected}, the bytes received give ${actual}`)
  }
}

/** The upload expired and was removed; the gateway still remembers it (later it is simply not found). */
export class UploadExpired extends UploadError {
  readonly code = 'UPLOAD_EXPIRED'
  constructor(readonly id: string) {
    super(`upload ${id} has expired`)
  }
}

/** The upload is a final upload of a concatenation: its bytes come from its partial uploads, none can be appended. */
export class FinalUploadImmutable extends UploadError {
  readonly code = 'FINAL_UPLOAD_IMMUTABLE'
  constructor(readonly id: string) {
    super(`upload ${id} is a final upload made of partial uploads; its bytes cannot be changed`)
  }
}

/** A final upload names an upload that cannot be one of its parts. */
export class PartialUploadInvalid extends UploadError {
  readonly code = 'PARTIAL_UPLOAD_INVALID'
  constructor(readonly partialId: string, readonly reason: 'not-found' | 'not-partial') {
    super(
      reason === 'not-found'
        ? `partial upload ${partialId} does not exist`
        : `upload ${partialId} is not a partial upload (create it with concatenation "partial")`,
    )
  }
}

/** The request carried more content than one request may (the draft's `max-append-size`); bytes up to it were kept. */
export class AppendTooLarge extends UploadError {
  readonly code = 'APPEND_TOO_LARGE'
  constructor(readonly limit: number, readonly offset: number) {
    super(`the request content exceeds the most one request may carry (${limit} bytes); ${offset} bytes are stored`)
  }
}

/** Which hook said something. */
export type HookName = 'pre-access' | 'pre-create' | 'pre-finish' | 'pre-terminate'

/** A hook refused the request (tusd's `RejectUpload`, `RejectTermination`; our `pre-access`); nothing was changed. */
export class HookRejected extends UploadError {
  readonly code = 'HOOK_REJECTED'
  constructor(readonly hook: HookName, readonly answer: Answer = {}) {
    super(hook === 'pre-terminate' ? 'the termination was rejected by the server' : `the request was rejected by the server (${hook})`)
  }
}

/** A hook could not be asked (unreachable, timed out, answered garbage): the request fails closed, nothing was changed. */
export class HookFailed extends UploadError {
  readonly code = 'HOOK_FAILED'
  constructor(readonly hook: HookName, options?: { cause?: unknown }) {
    super('the server could not check this request right now; try again later', options)
  }
}

/** The upload was asked to stop (tusd's `StopUpload`); what arrived was kept (or, with `terminated`, removed). */
export class UploadStopped extends UploadError {
  readonly code = 'UPLOAD_STOPPED'
  constructor(readonly offset: number, readonly answer: Answer = {}, readonly terminated = false) {
    super(terminated ? 'the upload was stopped by the server and removed' : `the upload was stopped by the server; ${offset} bytes are stored`)
  }
}

/** The request's lock on the upload was lost (e.g. Redis gone); it stopped writing; what was confirmed is kept. */
export class LockLost extends UploadError {
  readonly code = 'LOCK_LOST'
  constructor(readonly id: string, readonly offset?: number) {
    super(
      offset === undefined
        ? `the lock on upload ${id} was lost; retry`
        : `the lock on upload ${id} was lost; ${offset} bytes are stored; retry from there`,
    )
  }
}

/** Too many requests wait for this upload already; this one is refused at once rather than queued. */
export class LockBusy extends UploadError {
  readonly code = 'LOCK_BUSY'
  constructor(readonly id: string, readonly waiting: number) {
    super(`upload ${id} is busy: ${waiting} requests already wait for it; retry later`)
  }
}

/** The locks cannot be reached (a Redis locker whose server is down); nothing was changed. */
export class LockerUnavailable extends UploadError {
  readonly code = 'LOCKER_UNAVAILABLE'
  constructor(options?: { cause?: unknown }) {
    super('uploads cannot be locked right now; try again later', options)
  }
}

/** The storage is full; the bytes that fit were kept (`offset`, when known). */
export class StorageFull extends UploadError {
  readonly code = 'STORAGE_FULL'
  constructor(readonly offset?: number, options?: { cause?: unknown }) {
    super(offset === undefined ? 'the server has no storage space left' : `the server has no storage space left; ${offset} bytes are stored`, options)
  }
}

/** The store cannot be reached or failed transiently (an object store answering 5xx); what it confirmed is kept. */
export class StoreUnavailable extends UploadError {
  readonly code = 'STORE_UNAVAILABLE'
  constructor(readonly offset?: number, options?: { cause?: unknown }) {
    super(
      offset === undefined ? 'the storage is unavailable right now; try again later' : `the storage is unavailable right now; ${offset} bytes are stored; try again later`,
      options,
    )
  }
}

/**
 * The process (EMFILE) or the whole system (ENFILE) has no file descriptor left to open the upload's files with; nothing
 * was changed. A shortage that passes as requests finish, unlike an unknown failure.
 */
export class TooManyOpenFiles extends UploadError {
  readonly code = 'TOO_MANY_OPEN_FILES'
  constructor(options?: { cause?: unknown }) {
    super('the server is out of file descriptors right now; try again later', options)
  }
}

/** A partial upload cannot be removed: a final upload that is not complete yet is made of it. */
export class PartialUploadAwaited extends UploadError {
  readonly code = 'PARTIAL_UPLOAD_AWAITED'
  constructor(readonly partialId: string, readonly finalId: string) {
    super(`upload ${partialId} is a part of final upload ${finalId}, which is not complete yet: terminate that one first`)
  }
}

/** A final upload names more partial uploads than the gateway joins. */
export class TooManyPartials extends UploadError {
  readonly code = 'TOO_MANY_PARTIALS'
  constructor(readonly count: number, readonly limit: number) {
    super(`a final upload may name at most ${limit} partial uploads; this one names ${count}`)
  }
}

/** Why a delivery to the application behind the gateway failed (upstream mode). */
export type DeliveryFailure = 'unreachable' | 'error-status' | 'timeout' | 'busy'

/**
 * The application behind the gateway (upstream mode) did not take a completed upload: it could not be
 * reached, kept answering with a 5xx (`status`, the last one), did not answer in time, or too many deliveries
 * were under way. The upload is kept with every byte, and not reported complete: a later request that
 * completes it (or, for tus, asks for it) delivers it again, until it expires.
 */
export class DeliveryFailed extends UploadError {
  readonly code = 'DELIVERY_FAILED'
  constructor(readonly reason: DeliveryFailure, readonly attempts: number, readonly status?: number, options?: { cause?: unknown }) {
    super(`${deliveryProblem(reason, attempts, status)}; the upload is kept: complete it again (an empty request at its offset) to retry`, options)
  }
}

function deliveryProblem(reason: DeliveryFailure, attempts: number, status: number | undefined): string {
  const tries = `${attempts} attempt${attempts === 1 ? '' : 's'}`
  switch (reason) {
    case 'unreachable':
      return `the application could not be reached (${tries})`
    case 'error-status':
      return `the application answered ${status ?? 'an error'} (${tries})`
    case 'timeout':
      return 'the application did not answer in time'
    case 'busy':
      return 'too many uploads are being handed to the application right now'
  }
  return 'the application did not take the upload'
}

/** Every error the core reports. Codecs switch on `code` exhaustively. */
export type CoreError =
  | UploadNotFound
  | OffsetMismatch
  | LengthExceeded
  | MaxSizeExceeded
  | LengthMismatch
  | LengthBelowOffset
  | UploadIncomplete
  | LockTimeout
  | UploadInterrupted
  | NetworkTimeout
  | BodyIncomplete
  | ShuttingDown
  | NotSupported
  | ChecksumMismatch
  | UploadExpired
  | FinalUploadImmutable
  | PartialUploadInvalid
  | AppendTooLarge
  | HookRejected
  | HookFailed
  | UploadStopped
  | LockLost
  | LockBusy
  | LockerUnavailable
  | StorageFull
  | StoreUnavailable
  | TooManyOpenFiles
  | PartialUploadAwaited
  | TooManyPartials
  | DeliveryFailed

/** Every code, for tests that check each codec maps them all. */
export const coreErrorCodes = [
  'UPLOAD_NOT_FOUND',
  'OFFSET_MISMATCH',
  'LENGTH_EXCEEDED',
  'MAX_SIZE_EXCEEDED',
  'LENGTH_MISMATCH',
  'LENGTH_BELOW_OFFSET',
  'UPLOAD_INCOMPLETE',
  'LOCK_TIMEOUT',
  'UPLOAD_INTERRUPTED',
  'NETWORK_TIMEOUT',
  'BODY_INCOMPLETE',
  'SHUTTING_DOWN',
  'NOT_SUPPORTED',
  'CHECKSUM_MISMATCH',
  'UPLOAD_EXPIRED',
  'FINAL_UPLOAD_IMMUTABLE',
  'PARTIAL_UPLOAD_INVALID',
  'PARTIAL_UPLOAD_AWAITED',
  'APPEND_TOO_LARGE',
  'HOOK_REJECTED',
  'HOOK_FAILED',
  'UPLOAD_STOPPED',
  'LOCK_LOST',
  'LOCK_BUSY',
  'LOCKER_UNAVAILABLE',
  'STORAGE_FULL',
  'STORE_UNAVAILABLE',
  'TOO_MANY_OPEN_FILES',
  'TOO_MANY_PARTIALS',
  'DELIVERY_FAILED',
] as const satisfies readonly CoreError['code'][]

/** Narrows an unknown thrown value to a core error. */
export function isCoreError(error: unknown): error is CoreError {
  return error instanceof UploadError
}
