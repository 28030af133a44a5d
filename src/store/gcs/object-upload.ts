import type { ClientRequest } from 'node:http'
import { text } from 'node:stream/consumers'
import { GcsRequestFailed, GcsTimeout, isUnavailable, statusOf } from './gcs-errors.js'
import { objectInfo, type ObjectInfo } from './gcs-objects.js'
import { openRequest, pause, retryDelay, statObject, type JsonApi } from './json-api.js'
import type { RetryBuffers } from './retry-buffers.js'

/** What an upload sets on its object. */
export interface UploadOptions {
  /** The generation the object must have now; 0: it must not exist (GCS answers 412 otherwise). */
  readonly ifGenerationMatch: string | number
  readonly contentType?: string
}

/** Uploads `data` as the object `name`, retried (whole) as the policy allows; resolves with the stored object. */
export async function uploadObject(target: JsonApi, name: string, data: Uint8Array, options: UploadOptions, signal: AbortSignal): Promise<ObjectInfo> {
  const once = async (): Promise<ObjectInfo> => {
    const attempt = await startAttempt(target, name, options, data.byteLength, signal)
    await writeAll(attempt, [data], target.timeoutMs)
    return answerOf(attempt, data.byteLength, target.timeoutMs)
  }
  return retried(target, name, data.byteLength, signal, once, await once().catch((error: unknown) => ({ error })))
}

/**
 * One object uploaded from bytes that arrive over time: each byte is sent on as it is written, so the
 * object is done moments after its last byte. When the store's `RetryBuffers` have a buffer free, the bytes
 * are also copied into it until GCS confirms the object, so that a failed attempt is tried again, whole;
 * without one, a failed attempt is the piece's failure. `signal` aborts every request at once (`finish`
 * then rejects with its reason).
 */
export class PieceUpload {
  readonly #target: JsonApi
  readonly #name: string
  readonly #signal: AbortSignal
  readonly #buffers: RetryBuffers
  /** A copy of the bytes for a retry, while one was free. */
  #kept: Buffer | undefined
  #size = 0
  /** The first attempt, which streams the bytes as they are written. */
  #streaming: Attempt | undefined
  #starting: Promise<Attempt> | undefined

  constructor(target: JsonApi, name: string, buffers: RetryBuffers, signal: AbortSignal) {
    this.#target = target
    this.#name = name
    this.#buffers = buffers
    this.#signal = signal
  }

  get name(): string {
    return this.#name
  }

  /** The bytes written so far. */
  get size(): number {
    return this.#size
  }

  /**
   * Adds bytes to the object (at most the retry buffers' size in all) and sends them on; resolves once
   * GCS takes more (backpressure). Until the piece is finished, the caller must leave `chunk` as it is (it
   * may be sent from there). A failed attempt is not retried before `finish`. Throws `signal.reason`.
   */
  async write(chunk: Uint8Array): Promise<void> {
    this.#signal.throwIfAborted()
    if (chunk.byteLength === 0) return
    if (this.#size + chunk.byteLength > this.#buffers.size) throw new RangeError(`a piece holds at most ${this.#buffers.size} bytes`)
    if (this.#size === 0) this.#kept = this.#buffers.take()
    let sent: Uint8Array = chunk
    if (this.#kept !== undefined) {
      this.#kept.set(chunk, this.#size)
      sent = this.#kept.subarray(this.#size, this.#size + chunk.byteLength)
    }
    this.#size += chunk.byteLength
    const attempt = this.#streaming ?? (await (this.#starting ??= startAttempt(this.#target, this.#name, PIECE, undefined, this.#signal)))
    this.#streaming = attempt
    if (!attempt.settled && !attempt.request.write(sent)) await drained(attempt, this.#target.timeoutMs)
  }

  /**
   * Ends the object and resolves with it once GCS has stored it, retrying a failed attempt (GCS
   * unavailable, a timeout, a broken connection) up to the policy's limit when the bytes were kept.
   * Throws the last attempt's error (`isUnavailable` tells whether GCS was the trouble), or `signal.reason`.
   */
  async finish(): Promise<ObjectInfo> {
    try {
      const size = this.#size
      const attempt = this.#streaming ?? (await (this.#starting ??= startAttempt(this.#target, this.#name, PIECE, size, this.#signal)))
      if (!attempt.settled) attempt.request.end()
      const first = await answerOf(attempt, size, this.#target.timeoutMs).catch((error: unknown) => ({ error }))
      const kept = this.#kept?.subarray(0, size)
      if (kept === undefined) {
        if ('error' in first) throw first.error
        return first
      }
      const again = async (): Promise<ObjectInfo> => {
        const retry = await startAttempt(this.#target, this.#name, PIECE, size, this.#signal)
        await writeAll(retry, [kept], this.#target.timeoutMs)
        return answerOf(retry, size, this.#target.timeoutMs)
      }
      return await retried(this.#target, this.#name, size, this.#signal, again, first)
    } finally {
      this.abandon()
    }
  }

  /** Cuts the streaming attempt (if unfinished) and gives the retry buffer back; for a piece that will not be finished. */
  abandon(): void {
    const attempt = this.#streaming
    if (attempt !== undefined && !attempt.request.writableFinished) attempt.request.destroy()
    if (this.#kept !== undefined) this.#buffers.give(this.#kept)
    this.#kept = undefined
  }
}

// Chunk objects are raw bytes, all of them new.
const PIECE: UploadOptions = { ifGenerationMatch: 0 }

interface Attempt {
  readonly request: ClientRequest
  readonly answer: Promise<ObjectInfo>
  /** Set once `answer` has settled: the request takes no more bytes. */
  settled: boolean
}

/** Tries `again` while `first` (or the last retry) failed with GCS unavailable, as the policy allows. */
async function retried(
  target: JsonApi,
  name: string,
  size: number,
  signal: AbortSignal,
  again: () => Promise<ObjectInfo>,
  first: ObjectInfo | { readonly error: unknown },
): Promise<ObjectInfo> {
  if (!('error' in first)) return first
  let { error } = first
  for (let retry = 1; retry <= target.retry.maxRetries && isUnavailable(error) && !signal.aborted; retry++) {
    await pause(retryDelay(target.retry, retry), signal)
    try {
      return await again()
    } catch (failure) {
      error = failure
      // An earlier attempt may have landed although its answer was lost: then the object is there already.
      if (statusOf(failure) === 412) {
        const landed = await statObject(target, name, signal)
        if (landed !== undefined && landed.size === size) return landed
      }
    }
  }
  throw signal.aborted ? signal.reason : error
}

/** Starts a `uploadType=media` request for `name` (chunked when `length` is undefined). */
async function startAttempt(target: JsonApi, name: string, options: UploadOptions, length: number | undefined, signal: AbortSignal): Promise<Attempt> {
  signal.throwIfAborted()
  const url = new URL(`${target.endpoint.replace(/\/+$/, '')}/upload/storage/v1/b/${encodeURIComponent(target.bucket)}/o`)
  url.searchParams.set('uploadType', 'media')
  url.searchParams.set('name', name)
  url.searchParams.set('ifGenerationMatch', String(options.ifGenerationMatch))
  const headers = {
    ...(await target.headers()),
    'content-type': options.contentType ?? 'application/octet-stream',
    ...(length === undefined ? {} : { 'content-length': String(length) }),
  }
  const request = openRequest(target, 'POST', url.href, headers, signal)
  const attempt: Attempt = { request, answer: objectOf(request), settled: false }
  const settle = (): void => {
    attempt.settled = true
  }
  attempt.answer.then(settle, settle)
  return attempt
}

/** Sends `parts` on a fresh attempt, with backpressure, and ends it. */
async function writeAll(attempt: Attempt, parts: readonly Uint8Array[], timeoutMs: number): Promise<void> {
  for (const part of parts) {
    if (attempt.settled) break
    if (!attempt.request.write(part)) await drained(attempt, timeoutMs)
  }
  attempt.request.end()
}

/**
 * Waits until the request takes more bytes or has failed. If GCS takes nothing for the timeout, the
 * request is destroyed: the attempt has failed (its answer says so), and `finish` tries again.
 */
async function drained(attempt: Attempt, timeoutMs: number): Promise<void> {
  const { request } = attempt
  if (request.destroyed || attempt.settled) return
  await new Promise<void>((resolve) => {
    const done = (): void => {
      clearTimeout(timer)
      request.off('drain', done).off('close', done)
      resolve()
    }
    const timer = setTimeout(() => {
      request.destroy(new GcsTimeout(timeoutMs))
      done()
    }, timeoutMs)
    request.on('drain', done).on('close', done)
  })
}

/** The attempt's answer, checked: GCS must have stored every byte sent. `GcsTimeout` if it keeps us waiting. */
async function answerOf(attempt: Attempt, size: number, timeoutMs: number): Promise<ObjectInfo> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const error = new GcsTimeout(timeoutMs)
      attempt.request.destroy(error)
      reject(error)
    }, timeoutMs)
  })
  try {
    const object = await Promise.race([attempt.answer, timeout])
    // A truncated body that GCS took as the whole object would lose bytes silently: refuse it.
    if (object.size !== size) throw new Error(`GCS stored ${object.size} bytes as ${object.name}, ${size} were sent`)
    return object
  } finally {
    clearTimeout(timer)
  }
}

/** The object resource GCS answers to an upload, or the failure: `GcsRequestFailed` with its status, or the socket's error. */
function objectOf(request: ClientRequest): Promise<ObjectInfo> {
  const answer = new Promise<ObjectInfo>((resolve, reject) => {
    // Kept for the request's life: a write racing a failure must not raise an unhandled 'error'.
    request.on('error', reject)
    request.once('response', (response) => {
      text(response).then((body) => {
        const status = response.statusCode ?? 0
        if (status !== 200) throw new GcsRequestFailed(status, body)
        return objectInfo(JSON.parse(body) as Record<string, unknown>)
      }).then(resolve, reject)
    })
  })
  // Observed from the start: a request GCS answers early (or that breaks) while bytes are still written
  // must not become an unhandled rejection; `finish` reads the outcome.
  answer.catch(() => undefined)
  return answer
}
