import type { Lock } from '../lock/locker.js'
import { mergeAnswers } from '../model/answer.js'
import { eitherSignal } from '../model/either-signal.js'
import {
  AppendTooLarge,
  FinalUploadImmutable,
  LengthBelowOffset,
  LengthExceeded,
  LengthMismatch,
  MaxSizeExceeded,
  NotSupported,
  OffsetMismatch,
  UploadStopped,
  isCoreError,
} from '../model/errors.js'
import { ReleaseRequested, StopRequested } from '../model/stop-reasons.js'
import { awaitsDelivery, isComplete, type Upload } from '../model/upload.js'
import type { StoredUpload } from '../store/store.js'
import type { BodyCheck } from './body/body-check.js'
import { GuardedBody, type BodyStop } from './body/guarded-body.js'
import { stopError } from './body/stop-error.js'
import type { AppendCommand, RequestContext, WriteResult } from './commands.js'
import type { UploadMachine } from './machine.js'

export interface AppenderOptions {
  readonly machine: UploadMachine
  /** Largest upload accepted, in bytes; 0 means no limit. */
  readonly maxSize: number
  /** Whether the store can drop an append again (checked bodies need it). */
  readonly canRollBack: boolean
  /** How long a body may send nothing before it is stopped (its bytes kept); 0 turns it off. */
  readonly networkTimeoutMs: number
  /** How often progress is reported while a body streams; 0 never. */
  readonly progressIntervalMs: number
}

/**
 * The append algorithm, for an upload whose lock the caller holds: check the request against the state
 * (nothing is touched when it does not fit), stream the guarded body into the store, then keep or roll
 * back the bytes, record lengths and completion, and finish an upload that became complete. A body that
 * stops early keeps what arrived (unless checks make it all or nothing) and the request fails with the
 * fact that explains why.
 */
export class Appender {
  readonly #options: AppenderOptions

  constructor(options: AppenderOptions) {
    this.#options = options
  }

  /**
   * Throws OffsetMismatch, FinalUploadImmutable, LengthMismatch, LengthBelowOffset, MaxSizeExceeded (the
   * upload untouched); after keeping what arrived, LengthExceeded, AppendTooLarge, UploadInterrupted,
   * UploadStopped, LockLost, NetworkTimeout, BodyIncomplete, ShuttingDown; what the checks and the store throw.
   */
  async append(handle: StoredUpload, command: AppendCommand, context: RequestContext, lock: Lock): Promise<WriteResult> {
    const before = handle.state
    try {
      return await this.#append(handle, command, context, lock)
    } catch (error) {
      // The draft from -06: an upload whose lengths disagree is failed for good, unless it was
      // complete already (nothing reopens or changes a completed upload, R-60).
      if (command.removeWhenInconsistent === true && isInconsistentLength(error) && !isComplete(before)) {
        await this.#options.machine.terminate(handle, context, lock.lost, { hook: false })
      }
      throw error
    }
  }

  async #append(handle: StoredUpload, command: AppendCommand, context: RequestContext, lock: Lock): Promise<WriteResult> {
    const { machine, maxSize } = this.#options
    const before = handle.state
    await command.precondition?.(before)
    // tus concatenation: a final upload is made of its partial uploads; nothing is appended to it.
    if (before.concat?.kind === 'final') throw new FinalUploadImmutable(before.id)
    // tus 1.0.0 PATCH: on a mismatch the upload MUST NOT be modified, so the offset is checked first.
    if (command.offset !== before.offset) throw new OffsetMismatch(before.offset, command.offset)
    const wasComplete = isComplete(before)
    const checks = command.checks ?? []
    const discardable = checks.some((check) => check.allOrNothing !== false)
    if (checks.length > 0 && !this.#options.canRollBack) throw new NotSupported('checksums')
    // tus checksum (T-43): a body that may yet be discarded leaves the upload as it was, the length it
    // declares included, so that length is checked now and stored only once the body is kept.
    const newLength = command.length === undefined ? undefined : checkDeclaredLength(before, command.length, maxSize)
    // The body is held to the length it declares, stored yet or not.
    const bounded = (state: Upload): Upload => (newLength === undefined ? state : { ...state, length: newLength })
    const limit = roomIn(bounded(before), maxSize)
    // A body announced too large is refused before it is read (the client need not send it), the upload
    // untouched: its length stays deferred.
    if (command.bodySize !== undefined) {
      if (command.maxBytes !== undefined && command.bodySize > command.maxBytes && (limit === undefined || command.maxBytes <= limit)) {
        throw new AppendTooLarge(command.maxBytes, before.offset)
      }
      if (limit !== undefined && command.bodySize > limit) throw stopError({ kind: 'limit' }, bounded(before), maxSize)
    }
    if (newLength !== undefined && !discardable) await machine.declareLength(handle, newLength, lock.lost)
    const { signal, unlink } = eitherSignal(context.signal, lock.signal)
    const body = new GuardedBody(command.body, {
      limit,
      appendLimit: command.maxBytes,
      signal,
      idleTimeoutMs: this.#options.networkTimeoutMs,
      observe: observerOf(checks, command.completionCheck?.begin?.(before)),
      checkLock: lock.checkHeld?.bind(lock),
    })
    // Bytes that may yet be discarded are not progress.
    const stopProgress = discardable ? () => {} : this.#reportProgress(handle, body, bounded(before), command, context)
    let upload: Upload
    try {
      // A finished upload takes no bytes (a store may refuse even an empty append): the body is only read
      // to see whether it is empty; a byte of it stops it at the length.
      upload = handle.finished ? await readThrough(body, handle.state) : await machine.append(handle, body, signal)
    } catch (error) {
      // The store failed (full, unreachable) after keeping what it could.
      if (discardable) await machine.rollBack(handle, lock.lost)
      machine.interrupted(handle.state, handle.state.offset - before.offset, isCoreError(error) ? error.code : 'STORE_FAILED', context)
      throw error
    } finally {
      stopProgress()
      unlink()
    }
    // A release request that came once every announced byte was read (the body's end not seen yet, or the
    // store still writing its last bytes) interrupted nothing if they are all stored: the request succeeds.
    const stopped = releasedAfterWholeBody(body.stop, body.bytes, command.bodySize, upload.offset - before.offset) ? undefined : body.stop
    if (stopped !== undefined) {
      // A checked body counts all or nothing: a part of it cannot be verified.
      if (discardable) upload = await machine.rollBack(handle, lock.lost)
      // A request that stopped early completes nothing, even at the length, where the client completes
      // uploads (the draft); an upload complete before it stays complete (draft R-09: nothing reopens it).
      if (command.complete !== undefined && !wasComplete) upload = await this.#settleCompletion(handle, false, lock)
      const error = stopError(stopped, bounded(upload), maxSize)
      machine.interrupted(upload, upload.offset - before.offset, error.code, context)
      // tus says nothing of completion: the bytes kept reached the length (a body cut after its last byte, or
      // one longer than the length), so its clients see the upload complete, and it is finished now, hooks
      // included, for the upload rather than for a client that may have gone. A lost lock leaves it to the
      // next request (a complete upload not finished is finished then).
      if (command.complete === undefined && !wasComplete && isComplete(upload) && !lock.lost.aborted) {
        await machine.finish(handle, { ...context, signal: lock.lost }, lock.lost, command.completionCheck)
      }
      const stop = stopped.kind === 'aborted' ? stopped.reason : undefined
      if (stop instanceof StopRequested && stop.details.terminate === true && error instanceof UploadStopped) {
        // tusd's StopUpload: the upload is removed once its request has stopped.
        await machine.terminate(handle, context, lock.lost, { hook: false })
        throw new UploadStopped(upload.offset, stop.details.answer, true)
      }
      throw error
    }
    try {
      for (const check of checks) await check.verify()
    } catch (error) {
      await machine.rollBack(handle, lock.lost)
      throw error
    }
    if (newLength !== undefined && discardable) upload = await machine.declareLength(handle, newLength, lock.lost)
    // The client says the upload ends here: its length is the offset reached.
    if (command.complete === true) upload = await this.#declareLength(handle, upload.offset, lock)
    upload = await this.#settleCompletion(handle, wasComplete ? undefined : command.complete, lock)
    machine.received(upload, upload.offset - before.offset, context)
    let answer
    // Complete just now, or complete before but never finished (a crash came between): finished now.
    if (isComplete(upload) && (!wasComplete || !handle.finished)) answer = await machine.finish(handle, context, lock.lost, command.completionCheck)
    // A request completing an upload complete before it (the draft's replay) hears the completion's answer again.
    else if (wasComplete && command.complete === true && command.completionCheck !== undefined) await machine.recheck(handle, command.completionCheck, lock.lost)
    // Upstream mode: the request that completes an upload with a target delivers it, and so does one that
    // completes it again after a delivery failed (anything but "not complete": tus requests say nothing).
    if (command.complete !== false && awaitsDelivery(handle.state)) {
      // Not the request's signal: a delivery under way goes on when its client leaves (the target may answer).
      const delivered = await machine.deliver(handle, context, lock.lost)
      return { before, upload: handle.state, answer: mergeAnswers(answer, delivered.answer), delivered: delivered.response }
    }
    return { before, upload: handle.state, answer }
  }

  /** Declares `length` unless it is already the upload's length; throws as `checkDeclaredLength`. */
  async #declareLength(handle: StoredUpload, length: number, lock: Lock): Promise<Upload> {
    if (checkDeclaredLength(handle.state, length, this.#options.maxSize) === undefined) return handle.state
    return this.#options.machine.declareLength(handle, length, lock.lost)
  }

  /** Records whether an upload that reached its length waits for its client to complete it (`complete: false`). */
  async #settleCompletion(handle: StoredUpload, complete: boolean | undefined, lock: Lock): Promise<Upload> {
    const { state } = handle
    const pending = complete === false && state.length === state.offset
    if (pending === (state.completionPending === true)) return state
    return this.#options.machine.setCompletionPending(handle, pending, lock.lost)
  }

  /** Reports the offset reached every progress interval while the body streams, when it grew. Returns the stop. */
  #reportProgress(handle: StoredUpload, body: GuardedBody, before: Upload, command: AppendCommand, context: RequestContext): () => void {
    const { progressIntervalMs, machine } = this.#options
    if (progressIntervalMs <= 0) return () => {}
    let reported = before.offset
    const timer = setInterval(() => {
      const offset = Math.min(before.offset + body.bytes, before.length ?? Number.MAX_SAFE_INTEGER)
      if (offset <= reported) return
      reported = offset
      machine.progress({ ...handle.state, offset }, context)
      command.onProgress?.(offset)
    }, progressIntervalMs)
    // A report is a courtesy: it must never keep the process alive.
    timer.unref()
    return () => clearInterval(timer)
  }
}

/**
 * Checks a length declared for `upload` without storing it: returns it when the upload's length was
 * deferred until now, undefined when it is already that. Throws LengthMismatch, LengthBelowOffset, MaxSizeExceeded.
 */
export function checkDeclaredLength(upload: Upload, length: number, maxSize: number): number | undefined {
  if (upload.length !== undefined) {
    if (upload.length !== length) throw new LengthMismatch(upload.length, length)
    return undefined
  }
  if (length < upload.offset) throw new LengthBelowOffset(upload.offset, length)
  checkMaxSize(length, maxSize)
  return length
}

/** Throws MaxSizeExceeded when `length` is over `maxSize` (0: no limit). */
export function checkMaxSize(length: number, maxSize: number): void {
  if (maxSize > 0 && length > maxSize) throw new MaxSizeExceeded(maxSize, length)
}

/** The bytes an upload can still take: up to its length, or to the maximum size while its length is deferred. */
function roomIn(upload: Upload, maxSize: number): number | undefined {
  if (upload.length !== undefined) return upload.length - upload.offset
  return maxSize > 0 ? maxSize - upload.offset : undefined
}

function observerOf(checks: readonly BodyCheck[], completion: ((chunk: Uint8Array) => void) | undefined): ((chunk: Uint8Array) => void) | undefined {
  const observers = checks.map((check) => (chunk: Uint8Array) => check.update(chunk))
  if (completion !== undefined) observers.push(completion)
  if (observers.length === 0) return undefined
  if (observers.length === 1) return observers[0]
  return (chunk) => {
    for (const observer of observers) observer(chunk)
  }
}

async function readThrough(body: AsyncIterable<Uint8Array>, upload: Upload): Promise<Upload> {
  for await (const chunk of body) if (chunk.byteLength > 0) break
  return upload
}

/**
 * Whether `stop` is a release request that reached a body after all of its `announced` bytes (its
 * Content-Length) were read and stored. Only a release request: a stop request, a lost lock or a shutdown
 * still ends the request as such.
 */
function releasedAfterWholeBody(stop: BodyStop | undefined, read: number, announced: number | undefined, stored: number): boolean {
  return stop?.kind === 'aborted' && stop.reason instanceof ReleaseRequested && announced !== undefined && read === announced && stored === announced
}

function isInconsistentLength(error: unknown): boolean {
  return error instanceof LengthExceeded || error instanceof LengthMismatch || error instanceof LengthBelowOffset
}
