import type { Answer } from '../model/answer.js'
import type { RequestInfo } from '../model/request-info.js'
import type { Metadata, Upload, UploadInit } from '../model/upload.js'

/** What a request wants to do with an upload, for `preAccess`. */
export type AccessAction = 'create' | 'status' | 'append' | 'read' | 'terminate'

/** A hook's view of one request on one upload. */
export interface HookEvent<T> {
  readonly upload: T
  readonly request: RequestInfo
  /** Aborts when the request goes away or the gateway shuts down. */
  readonly signal: AbortSignal
}

/** `preAccess`: before a request reads or changes an upload (or creates one: `upload` is then undefined). */
export interface AccessEvent {
  readonly action: AccessAction
  /** The upload as stored, undefined for a creation (or an id that names none: the request then fails as usual). */
  readonly upload: Upload | undefined
  readonly request: RequestInfo
  readonly signal: AbortSignal
}

/** What `preCreate` may change about an upload before it exists (tusd's `ChangeFileInfo`, `HTTPResponse`). */
export interface CreateChanges {
  /** The id to give the upload instead of a random one; the store must accept it (`Store.isValidId`). */
  readonly id?: string
  /** Replaces all metadata. */
  readonly metadata?: Metadata
  /** Merged into the creation's answer. */
  readonly answer?: Answer
}

/**
 * The blocking hooks, as a port: tusd's pre-create, pre-finish and pre-terminate, and our pre-access, which
 * runs before any request reads or changes an upload (authorization). Each may refuse by throwing
 * `HookRejected` (with the answer the client gets); a hook that cannot decide throws `HookFailed` (the
 * request fails closed). The service calls them with the upload's lock held (pre-access: before the store is
 * touched for writing). Every hook is optional; none at all keeps the gateway's behaviour.
 */
export interface UploadHooks {
  preAccess?(event: AccessEvent): Promise<void>
  /** `upload.id` is the id the gateway chose (random). */
  preCreate?(event: HookEvent<UploadInit>): Promise<CreateChanges | void>
  /** The upload has every byte; the answer returned is merged into the answer of the request that completed it. */
  preFinish?(event: HookEvent<Upload>): Promise<Answer | void>
  /** The answer returned is merged into the termination's answer. */
  preTerminate?(event: HookEvent<Upload>): Promise<Answer | void>
}
