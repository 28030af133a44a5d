import type { Logger } from 'pino'
import type { LifecycleEvent, LifecycleListener } from '../core/events.js'
import type { AccessEvent, CreateChanges, HookEvent, UploadHooks } from '../core/hooks.js'
import type { Answer } from '../model/answer.js'
import { HookFailed, HookRejected, type HookName } from '../model/errors.js'
import type { RequestInfo } from '../model/request-info.js'
import type { Upload, UploadInit } from '../model/upload.js'
import type { HookBackend } from './hook-backend.js'
import { encodeHookRequest, fileInfoOf, httpRequestOf, newFileInfoOf, NO_FILE_INFO, type HookRequest } from './hook-request.js'
import { answerOf, checkSendable, type HookResponse } from './hook-response.js'
import { DEFAULT_ENABLED_HOOKS, type HookType } from './hook-types.js'
import { PostHookQueue, type DropReason, type PostHookJob } from './post-hook-queue.js'
import { ProgressThrottle } from './progress-throttle.js'

/** What metrics learn of hooks (see observe/metrics.ts); every method must return at once. */
export interface HookObserver {
  /** One call of a hook ended (`failed`: it threw), after `durationMs`. */
  invoked(type: HookType, durationMs: number, failed: boolean): void
  /** A post-hook will not be delivered. */
  dropped(type: HookType, reason: DropReason): void
  /** Post-hooks waiting or being delivered now. */
  queued(size: number): void
}

/** How tusd's hooks are run: the backend, which events, and the post-hook queue's bounds. */
export interface TusdHooksConfig {
  readonly backend: HookBackend
  /** The events hooks are called for (default tusd's: pre-create, post-create, post-receive, post-terminate, post-finish). */
  readonly enabled?: readonly HookType[]
  /** Least time between two post-receive hooks of one upload, in milliseconds (default 1 s, tusd's `-progress-hooks-interval`). */
  readonly progressIntervalMs?: number
  /** Most post-hooks held at once (default 10,000); past it, waiting post-receives make room, or new ones are dropped. */
  readonly maxQueuedPostHooks?: number
  /** Pauses before each new try of a post-hook that failed (default 1, 2, 4, 8, 16 s); then it is given up. */
  readonly postHookRetryDelaysMs?: readonly number[]
}

/** A `TusdHooksConfig` with what the gateway adds: where to log, metrics, and how to stop an upload. */
export interface TusdHooksOptions extends TusdHooksConfig {
  readonly logger: Logger
  readonly observer?: HookObserver
  /** Whether the store can take an id a pre-create hook chose (`Store.isValidId`); tusd's rule alone when absent. */
  readonly isValidId?: (id: string) => boolean
  /** tusd's `StopUpload` from a post-receive hook: stop the upload wherever its request runs (and remove it), answering `answer`. */
  readonly stopUpload?: (id: string, answer: Answer | undefined) => Promise<void>
}

/** A post-hook waiting in the queue. */
interface PostHook extends PostHookJob {
  readonly type: HookType
  readonly request: HookRequest
}

// tusd's `validateUploadId`: URL-safe characters, no `/` at either end.
const TUSD_ID = /^[A-Za-z0-9\-._~%!$'()*+,;=/:@]*$/

/**
 * tusd's hook system on the gateway's ports: the blocking hooks (`hooks`, for the service) and the
 * post-hooks (`listener`, for the lifecycle events), both speaking tusd v2's JSON through a backend.
 *
 * Pre-hooks answer as tusd honours them: pre-create may reject (`RejectUpload`), choose the id and
 * metadata (`ChangeFileInfo`) and shape the 201 (`HTTPResponse`); pre-finish shapes the answer of the
 * request that completed the upload; pre-terminate may reject (`RejectTermination`) or shape the 204;
 * pre-access (ours) may reject (`RejectUpload`). A pre-hook that fails makes the request fail closed
 * (`HookFailed`), its cause logged. Post-hooks never delay a request: they go through a bounded queue,
 * in order per upload, retried; post-receive's `StopUpload` stops the upload.
 */
export class TusdHooks {
  readonly hooks: UploadHooks
  readonly listener: LifecycleListener
  readonly #options: TusdHooksOptions
  readonly #enabled: ReadonlySet<HookType>
  readonly #queue: PostHookQueue<PostHook>
  readonly #throttle: ProgressThrottle

  constructor(options: TusdHooksOptions) {
    this.#options = options
    this.#enabled = new Set(options.enabled ?? DEFAULT_ENABLED_HOOKS)
    this.#throttle = new ProgressThrottle(options.progressIntervalMs ?? 1000)
    this.#queue = new PostHookQueue<PostHook>({
      deliver: (job, signal) => this.#deliver(job, signal),
      onDrop: (job, reason, error) => this.#dropped(job, reason, error),
      onSize: (size) => options.observer?.queued(size),
      ...(options.maxQueuedPostHooks === undefined ? {} : { maxJobs: options.maxQueuedPostHooks }),
      ...(options.postHookRetryDelaysMs === undefined ? {} : { retryDelaysMs: options.postHookRetryDelaysMs }),
    })
    const on = (type: HookType): boolean => this.#enabled.has(type)
    this.hooks = {
      ...(on('pre-access') ? { preAccess: (event: AccessEvent) => this.#preAccess(event) } : {}),
      ...(on('pre-create') ? { preCreate: (event: HookEvent<UploadInit>) => this.#preCreate(event) } : {}),
      ...(on('pre-finish') ? { preFinish: (event: HookEvent<Upload>) => this.#preFinish(event) } : {}),
      ...(on('pre-terminate') ? { preTerminate: (event: HookEvent<Upload>) => this.#preTerminate(event) } : {}),
    }
    this.listener = (event) => this.#onEvent(event)
  }

  /** Post-hooks waiting or being delivered. */
  get queued(): number {
    return this.#queue.size
  }

  /**
   * Delivers the post-hooks still queued until `deadline` (a `performance.now()` time), then gives up the
   * rest (each logged as not delivered) and closes the backend.
   */
  async close(deadline: number): Promise<void> {
    await this.#queue.close(deadline)
    await this.#options.backend.close?.()
  }

  async #preAccess(event: AccessEvent): Promise<void> {
    const upload = event.upload === undefined ? NO_FILE_INFO : fileInfoOf(event.upload)
    const request: HookRequest = { Type: 'pre-access', Event: { Upload: upload, HTTPRequest: httpRequestOf(event.request), Action: event.action } }
    const response = await this.#blocking(request, event.signal)
    if (response.RejectUpload) throw new HookRejected('pre-access', answerOf(response.HTTPResponse))
  }

  async #preCreate(event: HookEvent<UploadInit>): Promise<CreateChanges> {
    const request: HookRequest = { Type: 'pre-create', Event: { Upload: newFileInfoOf(event.upload), HTTPRequest: httpRequestOf(event.request) } }
    const response = await this.#blocking(request, event.signal, (answered) => {
      if (!answered.RejectUpload) this.#checkChosenId(answered.ChangeFileInfo.ID)
    })
    const answer = answerOf(response.HTTPResponse)
    if (response.RejectUpload) throw new HookRejected('pre-create', answer)
    const { ID: id, MetaData: metadata } = response.ChangeFileInfo
    // ChangeFileInfo.Storage is not taken: each store keeps an upload where its id says (tusd's cloud stores ignore it too).
    return { ...(id === '' ? {} : { id }), ...(metadata === null ? {} : { metadata }), ...(answer === undefined ? {} : { answer }) }
  }

  async #preFinish(event: HookEvent<Upload>): Promise<Answer | undefined> {
    const request: HookRequest = { Type: 'pre-finish', Event: { Upload: fileInfoOf(event.upload), HTTPRequest: httpRequestOf(event.request) } }
    return answerOf((await this.#blocking(request, event.signal)).HTTPResponse)
  }

  async #preTerminate(event: HookEvent<Upload>): Promise<Answer | undefined> {
    const request: HookRequest = { Type: 'pre-terminate', Event: { Upload: fileInfoOf(event.upload), HTTPRequest: httpRequestOf(event.request) } }
    const response = await this.#blocking(request, event.signal)
    const answer = answerOf(response.HTTPResponse)
    if (response.RejectTermination) throw new HookRejected('pre-terminate', answer)
    return answer
  }

  /** Throws RangeError when pre-create chose an id that is not URL-safe (tusd's validateUploadId) or that the store cannot take. */
  #checkChosenId(id: string): void {
    if (id !== '' && (!TUSD_ID.test(id) || id.startsWith('/') || id.endsWith('/'))) {
      throw new RangeError(`the hook chose an upload id that is not URL-safe: ${JSON.stringify(id.slice(0, 200))}`)
    }
    if (id !== '' && this.#options.isValidId?.(id) === false) {
      throw new RangeError(`the hook chose an upload id the store cannot take: ${JSON.stringify(id.slice(0, 200))}`)
    }
  }

  /**
   * Calls a pre-hook; a failure, or an answer `check` throws on, becomes HookFailed (the request fails closed),
   * its cause logged.
   */
  async #blocking(request: HookRequest, signal: AbortSignal, check?: (response: HookResponse) => void): Promise<HookResponse> {
    try {
      return await this.#call(request, signal, check)
    } catch (error) {
      // A client that went away is not a hook failure: the request ends anyway.
      if (signal.aborted) throw signal.reason
      throw this.#failed(request.Type as HookName, error)
    }
  }

  #failed(hook: HookName, cause: unknown): HookFailed {
    this.#options.logger.warn({ err: cause, hook }, 'hook failed; the request fails closed')
    return new HookFailed(hook, { cause })
  }

  /** One call of a hook, timed and counted (tusd counts every call, and every failed one: an unusable answer too). */
  async #call(request: HookRequest, signal: AbortSignal, check?: (response: HookResponse) => void): Promise<HookResponse> {
    const started = performance.now()
    let failed = true
    try {
      const response = await this.#options.backend.invoke({ request, body: encodeHookRequest(request), signal })
      checkSendable(response.HTTPResponse)
      check?.(response)
      failed = false
      return response
    } finally {
      this.#options.observer?.invoked(request.Type, performance.now() - started, failed)
    }
  }

  #onEvent(event: LifecycleEvent): void {
    const { upload } = event
    switch (event.type) {
      case 'created':
        this.#post('post-create', upload, event.request)
        return
      case 'progress':
        if (this.#enabled.has('post-receive') && this.#throttle.progress(upload.id, upload.offset)) this.#post('post-receive', upload, event.request)
        return
      case 'received':
      case 'interrupted':
        // The request's last bytes, unless a progress report already told them.
        if (this.#throttle.end(upload.id, upload.offset) && event.bytes > 0) this.#post('post-receive', upload, event.request)
        return
      case 'finished':
        this.#post('post-finish', upload, event.request)
        return
      case 'terminated':
        this.#throttle.forget(upload.id)
        this.#post('post-terminate', upload, event.request)
        return
      case 'expired':
        // tusd has no expiration, hence no hook for it; subscribe to the events for it.
        this.#throttle.forget(upload.id)
        return
    }
  }

  #post(type: HookType, upload: Upload, request: RequestInfo | undefined): void {
    if (!this.#enabled.has(type)) return
    const hookRequest: HookRequest = { Type: type, Event: { Upload: fileInfoOf(upload), HTTPRequest: httpRequestOf(request) } }
    this.#queue.push({ uploadId: upload.id, type, supersedable: type === 'post-receive', request: hookRequest })
  }

  async #deliver(job: PostHook, signal: AbortSignal): Promise<void> {
    let response: HookResponse
    try {
      response = await this.#call(job.request, signal)
    } catch (error) {
      if (!signal.aborted) this.#options.logger.warn({ err: error, hook: job.type, uploadId: job.uploadId }, 'post-hook failed')
      throw error
    }
    // Only post-receive's StopUpload is honoured; post-create, post-finish and post-terminate answers are ignored (tusd).
    if (job.type === 'post-receive' && response.StopUpload && this.#options.stopUpload !== undefined) {
      this.#options.logger.info({ hook: job.type, uploadId: job.uploadId }, 'a hook stops the upload')
      await this.#options.stopUpload(job.uploadId, answerOf(response.HTTPResponse)).catch((error: unknown) => {
        this.#options.logger.warn({ err: error, uploadId: job.uploadId }, 'could not stop the upload a hook asked to stop')
      })
    }
  }

  #dropped(job: PostHook, reason: DropReason, error: unknown): void {
    this.#options.observer?.dropped(job.type, reason)
    // A newer post-receive replaced an older one: nothing is lost but an intermediate offset.
    if (reason === 'superseded') return
    // Under load, post-receives make room for the other events: counted, and logged only when debugging.
    const level = job.type === 'post-receive' && reason === 'queue-full' ? 'debug' : 'warn'
    // The upload's facts only: the payload carries the client's headers (credentials among them).
    const { ID, Size, Offset } = job.request.Event.Upload
    this.#options.logger[level]({ err: error, hook: job.type, uploadId: ID, size: Size, offset: Offset, reason }, 'post-hook not delivered')
  }
}
