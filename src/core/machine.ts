import type { Readable } from 'node:stream'
import type { Answer } from '../model/answer.js'
import { HookFailed, isCoreError, NotSupported, ShuttingDown } from '../model/errors.js'
import { ShutdownRequested } from '../model/stop-reasons.js'
import { awaitsDelivery, isComplete, isPendingFinal, type Upload, type UploadInit } from '../model/upload.js'
import type { StoreCapabilities, StoredUpload, Store } from '../store/store.js'
import type { CompletionCheck, RequestContext } from './commands.js'
import type { DeliveryResponse, UploadDelivery } from './delivery.js'
import type { LifecycleEvent, UploadEvents } from './events.js'
import type { UploadHooks } from './hooks.js'

/** Thrown when the service asks for a transition that its own checks should have ruled out: a bug, answered 500. */
export class IllegalTransition extends Error {
  constructor(transition: string, upload: Upload, why: string) {
    super(`illegal transition ${transition} of upload ${upload.id}: ${why}`)
    this.name = 'IllegalTransition'
  }
}

export interface MachineOptions {
  readonly store: Store
  readonly hooks: UploadHooks
  readonly events: UploadEvents
  /** Hands complete uploads with a target on (upstream mode); without it, such uploads cannot be finished. */
  readonly delivery?: UploadDelivery
  /** Told when a partial upload that final uploads wait for is finished, with their ids. */
  readonly onAwaitedPartialFinished: (finalIds: readonly string[]) => void
}

/**
 * The one place an upload changes state. Every transition (create, append, declare a length, record a
 * pending completion, finish, roll back, terminate, expire, concatenate) asserts that it is legal, runs the
 * hook that may refuse or shape it, calls the store, and publishes the event. The caller holds the upload's
 * lock and has checked the request (offsets, lengths, limits): an assertion failing here is a bug.
 */
export class UploadMachine {
  readonly #options: MachineOptions

  constructor(options: MachineOptions) {
    this.#options = options
  }

  /**
   * Creates an empty upload: pre-create may refuse, or change its id (the store must accept it), its
   * metadata and the answer (returned); the store may extend the id. Publishes `created`.
   */
  async create(init: UploadInit, context: RequestContext): Promise<{ handle: StoredUpload; answer?: Answer }> {
    const { store, hooks } = this.#options
    const changes = (await hooks.preCreate?.({ upload: init, request: requestOf(context), signal: context.signal })) ?? undefined
    if (changes?.id !== undefined && !store.isValidId(changes.id)) {
      throw new HookFailed('pre-create', { cause: new RangeError(`the store cannot take the upload id ${JSON.stringify(changes.id)}`) })
    }
    const chosen: UploadInit = { ...init, ...(changes?.id === undefined ? {} : { id: changes.id }), ...(changes?.metadata === undefined ? {} : { metadata: changes.metadata }) }
    let handle: StoredUpload
    try {
      handle = await store.create(chosen, context.signal)
    } catch (error) {
      // An id the hook chose that the store cannot take (one in use) fails the hook, as an invalid one does.
      if (changes?.id !== undefined && !isCoreError(error) && !context.signal.aborted) throw new HookFailed('pre-create', { cause: error })
      throw error
    }
    checkHandle(store.capabilities, handle)
    this.#publish({ type: 'created', upload: handle.state, request: context.request })
    return { handle, answer: changes?.answer }
  }

  /** Opens an upload for a request (or for the gateway's own work), checking the store keeps its word. */
  async open(id: string, signal: AbortSignal): Promise<StoredUpload> {
    const handle = await this.#options.store.open(id, signal)
    checkHandle(this.#options.store.capabilities, handle)
    return handle
  }

  /** Streams a (guarded) body into the upload. No event: the caller keeps or rolls back the bytes, then says so. */
  async append(handle: StoredUpload, body: AsyncIterable<Uint8Array>, signal: AbortSignal): Promise<Upload> {
    const { state } = handle
    if (state.concat?.kind === 'final') throw new IllegalTransition('append', state, 'a final upload takes no bytes')
    return handle.append(body, signal)
  }

  /** The bytes of an append are kept for good: publishes `received`. */
  received(upload: Upload, bytes: number, context: RequestContext): void {
    if (bytes > 0) this.#publish({ type: 'received', upload, bytes, request: context.request })
  }

  /** An append stopped early, keeping `bytes`: publishes `interrupted` with the fact that explains it. */
  interrupted(upload: Upload, bytes: number, reason: string, context: RequestContext): void {
    this.#publish({ type: 'interrupted', upload, bytes, reason, request: context.request })
  }

  /** A body is streaming: publishes `progress` (`upload.offset` counts the bytes handed to the store). */
  progress(upload: Upload, context: RequestContext): void {
    this.#publish({ type: 'progress', upload, request: context.request })
  }

  /** Drops the bytes of the handle's last append. */
  async rollBack(handle: StoredUpload, signal: AbortSignal): Promise<Upload> {
    if (handle.rollBack === undefined) throw new NotSupported('checksums')
    return handle.rollBack(signal)
  }

  /** Declares the length of an upload whose length was deferred. */
  async declareLength(handle: StoredUpload, length: number, signal: AbortSignal): Promise<Upload> {
    const { state } = handle
    if (state.length !== undefined) throw new IllegalTransition('declare length', state, `its length is already ${state.length}`)
    if (length < state.offset) throw new IllegalTransition('declare length', state, `${length} is below its offset`)
    return handle.update({ length }, signal)
  }

  /** Records whether an upload that has every byte waits for its client to complete it. */
  async setCompletionPending(handle: StoredUpload, pending: boolean, signal: AbortSignal): Promise<Upload> {
    const { state } = handle
    if (pending && state.length !== state.offset) throw new IllegalTransition('await completion', state, 'bytes are missing')
    return handle.update({ completionPending: pending }, signal)
  }

  /** Records that the final upload `finalId` waits for this partial upload (persisted: see `Upload.awaitedBy`). */
  async markAwaited(partial: StoredUpload, finalId: string, signal: AbortSignal): Promise<Upload> {
    const { state } = partial
    if (state.concat?.kind !== 'partial') throw new IllegalTransition('mark awaited', state, 'not a partial upload')
    const awaitedBy = state.awaitedBy ?? []
    if (awaitedBy.includes(finalId)) return state
    return partial.update({ awaitedBy: [...awaitedBy, finalId] }, signal)
  }

  /**
   * Finishes a complete upload: the store finishes it (S3 completes its multipart upload), `check` verifies
   * it (a failure removes the upload, then is thrown), pre-finish may shape the answer or refuse, then
   * `finished` is published and the final uploads waiting for it are told. Returns pre-finish's answer.
   * An upload with a target (upstream mode) stops after the check: it is finished by `deliver`.
   */
  async finish(handle: StoredUpload, context: RequestContext, signal: AbortSignal, check?: CompletionCheck): Promise<Answer | undefined> {
    if (!isComplete(handle.state)) throw new IllegalTransition('finish', handle.state, 'it is not complete')
    if (!handle.finished) await handle.finish(signal)
    if (check !== undefined) {
      try {
        await check.verify(handle.state, () => this.#read(handle, signal))
      } catch (error) {
        await this.terminate(handle, context, signal, { hook: false })
        throw error
      }
    }
    if (awaitsDelivery(handle.state)) return undefined
    const answer = await this.#preFinish(handle, context)
    const upload = handle.state
    this.#publish({ type: 'finished', upload, request: context.request })
    if (upload.concat?.kind === 'partial' && (upload.awaitedBy?.length ?? 0) > 0) {
      this.#options.onAwaitedPartialFinished(upload.awaitedBy ?? [])
    }
    return answer
  }

  /**
   * Hands a finished upload that awaits its delivery (upstream mode) to its target: pre-finish may shape the
   * answer or refuse (then nothing is sent), the delivery port sends it, the upload is recorded as delivered,
   * and `finished` is published with what the target answered. Returns pre-finish's answer and the target's
   * (whose body the caller passes on or discards). Throws DeliveryFailed, or ShuttingDown with the offset when a
   * shutdown stops the delivery (either way the upload still awaits its delivery, for the next request to try
   * again), NotSupported without a delivery port.
   */
  async deliver(handle: StoredUpload, context: RequestContext, signal: AbortSignal): Promise<{ answer?: Answer; response: DeliveryResponse }> {
    const { state } = handle
    if (!awaitsDelivery(state) || !handle.finished) throw new IllegalTransition('deliver', state, 'it does not await its delivery')
    const { delivery } = this.#options
    if (delivery === undefined) throw new NotSupported('delivery to an application (upstream mode)')
    const answer = await this.#preFinish(handle, context)
    let response: DeliveryResponse
    try {
      response = await delivery.deliver(state, (readSignal) => this.#readable(handle, readSignal), context.request, signal)
    } catch (error) {
      // Stopped by a shutdown: every byte is stored, and the upload waits for the next request to deliver it.
      if (error instanceof ShutdownRequested) throw new ShuttingDown(state.offset, { cause: error })
      throw error
    }
    try {
      await handle.update({ delivered: true }, signal)
    } catch (error) {
      // The target has the upload, but it is not recorded: a later request delivers it again (at least once).
      response.discard()
      throw error
    }
    const { status, headers, attempts } = response
    this.#publish({ type: 'finished', upload: handle.state, request: context.request, delivery: { status, headers, attempts } })
    return { answer, response }
  }

  /** Runs a completion check again on a finished upload, for its answer (a replayed completion); nothing changes. */
  async recheck(handle: StoredUpload, check: CompletionCheck, signal: AbortSignal): Promise<void> {
    if (!handle.finished) throw new IllegalTransition('recheck', handle.state, 'it is not finished')
    await check.verify(handle.state, () => this.#read(handle, signal))
  }

  /**
   * Removes an upload on a request's behalf: pre-terminate may refuse (then nothing changes) or shape the
   * answer (returned). `hook: false` for removals the gateway decides itself (a failed upload). Publishes `terminated`.
   */
  async terminate(handle: StoredUpload, context: RequestContext, signal: AbortSignal, options = { hook: true }): Promise<Answer | undefined> {
    if (handle.terminate === undefined) throw new NotSupported('termination')
    const answer = options.hook
      ? ((await this.#options.hooks.preTerminate?.({ upload: handle.state, request: requestOf(context), signal: context.signal })) ?? undefined)
      : undefined
    await handle.terminate(signal)
    this.#publish({ type: 'terminated', upload: handle.state, request: context.request })
    return answer
  }

  /** Removes an expired upload: no hook (tusd has none), publishes `expired`. */
  async expire(handle: StoredUpload, signal: AbortSignal): Promise<void> {
    if (handle.terminate === undefined) throw new NotSupported('expiration')
    await handle.terminate(signal)
    this.#publish({ type: 'expired', upload: handle.state })
  }

  /**
   * Makes a pending final upload the bytes of its partial uploads (each finished, locked by the caller,
   * in the final upload's order), then finishes it. Returns pre-finish's answer.
   */
  async concatenate(final: StoredUpload, partials: readonly StoredUpload[], context: RequestContext, signal: AbortSignal): Promise<Answer | undefined> {
    const { state } = final
    if (!isPendingFinal(state)) throw new IllegalTransition('concatenate', state, 'not a pending final upload')
    const unready = partials.find((partial) => !partial.finished || partial.state.concat?.kind !== 'partial')
    if (unready !== undefined) throw new IllegalTransition('concatenate', state, `partial upload ${unready.state.id} is not finished`)
    if (final.concatenate === undefined) throw new NotSupported('concatenation')
    await final.concatenate(partials, signal)
    return this.finish(final, context, signal)
  }

  async #read(handle: StoredUpload, signal: AbortSignal): Promise<AsyncIterable<Uint8Array>> {
    return this.#readable(handle, signal)
  }

  async #readable(handle: StoredUpload, signal: AbortSignal): Promise<Readable> {
    if (handle.read === undefined) throw new NotSupported('downloads')
    return handle.read(undefined, signal)
  }

  async #preFinish(handle: StoredUpload, context: RequestContext): Promise<Answer | undefined> {
    return (await this.#options.hooks.preFinish?.({ upload: handle.state, request: requestOf(context), signal: context.signal })) ?? undefined
  }

  #publish(event: LifecycleEvent): void {
    this.#options.events.publish(event)
  }
}

/** The request facts for a hook: a gateway-made call (background completion) has none, so it gets a neutral one. */
function requestOf(context: RequestContext): NonNullable<RequestContext['request']> {
  return context.request ?? { protocol: 'internal', method: '', uri: '', headers: {} }
}

/**
 * The store's handles must carry the methods its capabilities announce, and no capability may be left
 * without its method: one source of truth, checked on every handle (a few property reads).
 */
export function checkHandle(capabilities: StoreCapabilities, handle: StoredUpload): void {
  const pairs: [boolean, unknown, string][] = [
    [capabilities.terminate, handle.terminate, 'terminate'],
    [capabilities.read, handle.read, 'read'],
    [capabilities.rollBack, handle.rollBack, 'rollBack'],
    [capabilities.concat, handle.concatenate, 'concatenate'],
  ]
  for (const [claimed, method, name] of pairs) {
    if (claimed !== (typeof method === 'function')) {
      throw new TypeError(`the store ${claimed ? 'announces' : 'does not announce'} ${name} but its uploads ${claimed ? 'lack' : 'have'} it`)
    }
  }
}
