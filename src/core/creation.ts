import type { Lock } from '../lock/locker.js'
import { mergeAnswers } from '../model/answer.js'
import { LengthExceeded, NotSupported } from '../model/errors.js'
import { awaitsDelivery, isComplete, isPendingFinal, type Upload, type UploadConcat } from '../model/upload.js'
import type { StoreCapabilities, StoredUpload } from '../store/store.js'
import { checkMaxSize, type Appender } from './append.js'
import type { Background } from './background.js'
import type { CreateCommand, RequestContext, WriteResult } from './commands.js'
import type { Concatenation } from './concatenation.js'
import type { UploadMachine } from './machine.js'
import { newUploadId } from './upload-id.js'
import type { UploadLocks } from './upload-locks.js'

export interface CreationOptions {
  readonly machine: UploadMachine
  readonly appender: Appender
  readonly concatenation: Concatenation
  readonly locks: UploadLocks
  readonly background: Background
  readonly capabilities: StoreCapabilities
  /** The largest upload, in bytes; 0: no limit. */
  readonly maxSize: number
  /** Uploads with a target can be delivered (the service has a delivery port). */
  readonly canDeliver: boolean
  /** The upload as the answer shows it (its expiry). */
  readonly annotate: (upload: Upload, context: RequestContext) => Promise<Upload>
  /** Completes a pending final upload in the background, once its partial uploads allow. */
  readonly settleInBackground: (id: string) => Promise<void>
}

/** For store calls made without a lock (a new upload nobody knows yet): nothing can be lost. */
const NEVER = new AbortController().signal

/**
 * Upload creation: checks the request against the store and the limits, creates the upload (pre-create may
 * refuse or change it), then gives it its first state: the body that came with the request, a pending
 * completion, or, for a final upload of a concatenation, its partial uploads' bytes if they are ready.
 */
export class Creation {
  readonly #options: CreationOptions

  constructor(options: CreationOptions) {
    this.#options = options
  }

  /** Throws NotSupported, TooManyPartials, PartialUploadInvalid, MaxSizeExceeded, LengthExceeded, HookRejected and append's errors. */
  async create(command: CreateCommand, context: RequestContext): Promise<WriteResult> {
    const { capabilities, concatenation, machine, locks } = this.#options
    if (command.concat !== undefined && !capabilities.concat) throw new NotSupported('concatenation')
    if (command.target !== undefined && !this.#options.canDeliver) throw new NotSupported('delivery to an application (upstream mode)')
    if (command.target !== undefined && command.concat !== undefined) throw new TypeError('a part of a concatenation has no target of its own')
    const final = command.concat?.kind === 'final' ? command.concat : undefined
    if (final !== undefined && (command.body !== undefined || command.length !== undefined)) {
      throw new TypeError('a final upload takes neither a body nor a length: both come from its partial uploads')
    }
    const length = final === undefined ? command.length : await concatenation.finalLength(final.partials, context.signal)
    if (length !== undefined) checkMaxSize(length, this.#options.maxSize)
    else if (!capabilities.deferLength) throw new NotSupported('deferred lengths')
    if (command.bodySize !== undefined && length !== undefined && command.bodySize > length) throw new LengthExceeded(length)
    const init = { id: newUploadId(), length, metadata: command.metadata, concat: command.concat, digests: command.digests, target: command.target }
    const { handle, answer } = await machine.create(init, context)
    let filling = false
    const fill = async (lock: Lock | undefined): Promise<WriteResult> => {
      filling = true
      try {
        return await this.#fill(handle, command, context, lock)
      } catch (error) {
        if (command.removeOnFailure === true) await machine.terminate(handle, context, lock?.lost ?? NEVER, { hook: false }).catch(() => undefined)
        throw error
      }
    }
    // Nobody knows the new upload's id yet, so its lock is free: taken before the id is announced (a draft
    // 104 announces it while the body still streams), the body goes straight into the state just created. A
    // final upload is locked against its own completion in the background; an empty upload needs no lock.
    // An upload with a target is delivered under its lock (upstream mode), even when it is empty.
    const locked = command.body !== undefined || final !== undefined || command.target !== undefined
    try {
      const result = locked ? await locks.withLock(handle.state.id, context, fill) : await fill(undefined)
      return { ...result, answer: mergeAnswers(answer, result.answer) }
    } catch (error) {
      // The lock could not be taken (the locker out of reach): nobody was told of the upload, and the client,
      // answered without a Location, creates another; this one goes (its creation counted, its removal too).
      if (!filling) await machine.terminate(handle, context, NEVER, { hook: false }).catch(() => undefined)
      throw error
    }
  }

  /** A new upload's first state: completion pending or finished, and its body appended. */
  async #fill(handle: StoredUpload, command: CreateCommand, context: RequestContext, lock: Lock | undefined): Promise<WriteResult> {
    const { machine, annotate } = this.#options
    const lost = lock?.lost ?? NEVER
    // An empty upload whose client says more follows is not complete (draft R-14): it waits for a request saying so.
    if (handle.state.length === 0 && command.complete === false) await machine.setCompletionPending(handle, true, lost)
    command.onCreated?.(handle.state)
    const { concat } = handle.state
    if (concat?.kind === 'final') return this.#fillFinal(handle, concat, context)
    if (command.body === undefined) {
      const answer = isComplete(handle.state) ? await machine.finish(handle, context, lost, command.completionCheck) : undefined
      // An empty upload with a target, complete at once (upstream mode): delivered now.
      if (awaitsDelivery(handle.state)) {
        const delivered = await machine.deliver(handle, context, lost)
        return { upload: await annotate(handle.state, context), answer: mergeAnswers(answer, delivered.answer), delivered: delivered.response }
      }
      return { upload: await annotate(handle.state, context), answer }
    }
    if (lock === undefined) throw new TypeError('a body is appended under the upload lock')
    const result = await this.#options.appender.append(handle, { ...command, offset: 0, length: undefined, body: command.body }, context, lock)
    return { upload: await annotate(result.upload, context), answer: result.answer, delivered: result.delivered }
  }

  /**
   * A final upload: its partial uploads learn of it (one in use, receiving its bytes, is left to the
   * background), and it takes their bytes at once if they are all finished.
   */
  async #fillFinal(handle: StoredUpload, concat: Extract<UploadConcat, { kind: 'final' }>, context: RequestContext): Promise<WriteResult> {
    const { concatenation, background, annotate, settleInBackground } = this.#options
    const busy = await concatenation.markAwaited(handle.state, concat.partials, context, 'now')
    const answer = await concatenation.settle(handle, context, 'now')
    const final = handle.state
    if (busy.length > 0 && isPendingFinal(final)) {
      void background.run(`mark the partial uploads of final upload ${final.id}`, async () => {
        await concatenation.markAwaited(final, busy, { signal: background.signal }, 'politely')
        await settleInBackground(final.id)
      })
    }
    return { upload: await annotate(final, context), answer }
  }
}
