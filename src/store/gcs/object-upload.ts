import http, { type ClientRequest } from 'node:http'
import https from 'node:https'
import { setTimeout as sleep } from 'node:timers/promises'
import { GcsRequestFailed, GcsTimeout, isUnavailable, statusOf } from './gcs-errors.js'
import { objectInfo, type ObjectInfo } from './gcs-objects.js'

/** How often and how patiently a failed call is tried again (the SDK's `retryOptions`, in milliseconds). */
export interface RetryPolicy {
  /** Retries after the first attempt. */
  readonly maxRetries: number
  /** Longest pause between two attempts. */
  readonly maxDelayMs: number
  /** The pause grows by this factor per attempt, from 1 s (plus up to 1 s of jitter), as the SDK's does. */
  readonly multiplier: number
}

/** The pause before retry number `retry` (1, 2, ...). */
export function retryDelay(policy: RetryPolicy, retry: number): number {
  return Math.min(policy.maxDelayMs, 1000 * policy.multiplier ** (retry - 1) + Math.floor(Math.random() * 1000))
}

/** Where and how objects are uploaded: the JSON API's `uploadType=media`, one request per object. */
export interface UploadTarget {
  /** The JSON API's origin: `https://storage.googleapis.com`, or an emulator's. */
  readonly endpoint: string
  readonly bucket: string
  /** Headers that authorize a request (none for an emulator without credentials). */
  headers(): Promise<Readonly<Record<string, string>>>
  readonly agent: http.Agent
  /** How long GCS may keep us waiting (for its answer, or to take more bytes) before the attempt is given up. */
  readonly timeoutMs: number
  readonly retry: RetryPolicy
  /** The object as it is now, undefined if there is none: tells whether an attempt whose answer was lost landed. */
  stat(name: string, signal: AbortSignal): Promise<ObjectInfo | undefined>
}

/** What an upload sets on its object. */
export interface UploadOptions {
  /** The generation the object must have now; 0: it must not exist (GCS answers 412 otherwise). */
  readonly ifGenerationMatch: string | number
  readonly contentType?: string
}

interface Attempt {
  readonly request: ClientRequest
  readonly answer: Promise<ObjectInfo>
  /** Set once `answer` has settled: the request takes no more bytes. */
  settled: boolean
}

/**
 * One object uploaded from bytes that arrive over time: each byte is sent on as it is written, so the
 * object is done moments after its last byte, and kept (a copy) until GCS confirms the object, so that a
 * failed attempt is tried again, whole, with the bytes it had. Memory: the object's size.
 *
 * `signal` aborts every request at once (and `finish` rejects with its reason): nothing of the object is
 * then known to be stored.
 */
export class PieceUpload {
  readonly #target: UploadTarget
  readonly #name: string
  readonly #options: UploadOptions
  readonly #signal: AbortSignal
  readonly #kept: Buffer[] = []
  #size = 0
  /** The first attempt, which streams the bytes as they are written. */
  #streaming: Promise<Attempt> | undefined

  constructor(target: UploadTarget, name: string, options: UploadOptions, signal: AbortSignal) {
    this.#target = target
    this.#name = name
    this.#options = options
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
   * Adds bytes to the object (a copy is kept: the caller may reuse its buffer) and sends them on; resolves
   * once GCS takes more (backpressure). An attempt that failed meanwhile is not retried before `finish`.
   * Throws `signal.reason`, or `GcsTimeout` when GCS takes nothing for the timeout.
   */
  async write(chunk: Uint8Array): Promise<void> {
    this.#signal.throwIfAborted()
    if (chunk.byteLength === 0) return
    const copy = Buffer.from(chunk)
    this.#kept.push(copy)
    this.#size += copy.length
    this.#streaming ??= this.#send(undefined)
    const attempt = await this.#streaming
    if (!attempt.settled && !attempt.request.write(copy)) await this.#drained(attempt)
  }

  /**
   * Ends the object and resolves with it once GCS has stored it, retrying a failed attempt (GCS
   * unavailable, a timeout, a broken connection) up to the policy's limit with every byte kept.
   * Throws the last attempt's error (`isUnavailable` tells whether GCS was the trouble), or `signal.reason`.
   */
  async finish(): Promise<ObjectInfo> {
    let error: unknown
    try {
      let attempt: Attempt
      if (this.#streaming === undefined) {
        attempt = await this.#send(this.#size)
        await this.#writeKept(attempt)
      } else {
        attempt = await this.#streaming
        if (!attempt.settled) attempt.request.end()
      }
      return this.#checked(await this.#answer(attempt))
    } catch (failure) {
      error = failure
    }
    for (let retry = 1; retry <= this.#target.retry.maxRetries && isUnavailable(error) && !this.#signal.aborted; retry++) {
      await pause(retryDelay(this.#target.retry, retry), this.#signal)
      try {
        const attempt = await this.#send(this.#size)
        await this.#writeKept(attempt)
        return this.#checked(await this.#answer(attempt))
      } catch (failure) {
        error = failure
        // An earlier attempt may have landed although its answer was lost: then the object is there already.
        if (statusOf(failure) === 412) {
          const landed = await this.#target.stat(this.#name, this.#signal)
          if (landed !== undefined && landed.size === this.#size) return landed
        }
      }
    }
    throw this.#signal.aborted ? this.#signal.reason : error
  }

  async #send(length: number | undefined): Promise<Attempt> {
    this.#signal.throwIfAborted()
    const { endpoint, bucket, agent } = this.#target
    const url = new URL(`${endpoint.replace(/\/+$/, '')}/upload/storage/v1/b/${encodeURIComponent(bucket)}/o`)
    url.searchParams.set('uploadType', 'media')
    url.searchParams.set('name', this.#name)
    url.searchParams.set('ifGenerationMatch', String(this.#options.ifGenerationMatch))
    const headers = {
      ...(await this.#target.headers()),
      'content-type': this.#options.contentType ?? 'application/octet-stream',
      ...(length === undefined ? {} : { 'content-length': String(length) }),
    }
    const request = (url.protocol === 'https:' ? https : http).request(url, { method: 'POST', agent, headers, signal: this.#signal })
    const attempt: Attempt = { request, answer: answerOf(request), settled: false }
    attempt.answer.then(
      () => (attempt.settled = true),
      () => (attempt.settled = true),
    )
    return attempt
  }

  /** Sends every kept byte on a fresh attempt, with backpressure, and ends it. */
  async #writeKept(attempt: Attempt): Promise<void> {
    for (const piece of this.#kept) {
      if (attempt.settled) break
      if (!attempt.request.write(piece)) await this.#drained(attempt)
    }
    attempt.request.end()
  }

  /**
   * Waits until the request takes more bytes or has failed. If GCS takes nothing for the timeout, the
   * request is destroyed: the attempt has failed, the bytes stay kept, and `finish` tries again.
   */
  async #drained(attempt: Attempt): Promise<void> {
    const { request } = attempt
    if (request.destroyed || attempt.settled) return
    let done = (): void => {}
    const drained = new Promise<void>((resolve) => {
      done = () => {
        request.off('drain', done).off('close', done)
        resolve()
      }
      request.on('drain', done).on('close', done)
    })
    await this.#timed(attempt, drained)
      .catch(() => undefined)
      .finally(done)
  }

  #answer(attempt: Attempt): Promise<ObjectInfo> {
    return this.#timed(attempt, attempt.answer)
  }

  /** `waiting`, or `GcsTimeout` (and the request destroyed) once GCS has kept us waiting for the timeout. */
  async #timed<T>(attempt: Attempt, waiting: Promise<T>): Promise<T> {
    const { timeoutMs } = this.#target
    let timer: NodeJS.Timeout | undefined
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        const error = new GcsTimeout(timeoutMs)
        attempt.request.destroy(error)
        reject(error)
      }, timeoutMs)
    })
    try {
      return await Promise.race([waiting, timeout])
    } finally {
      clearTimeout(timer)
    }
  }

  #checked(object: ObjectInfo): ObjectInfo {
    // A truncated body that GCS took as the whole object would lose bytes silently: refuse it.
    if (object.size !== this.#size) throw new Error(`GCS stored ${object.size} bytes as ${this.#name}, ${this.#size} were sent`)
    return object
  }
}

/** Resolves after `ms`, or rejects with `signal.reason` once it aborts. */
async function pause(ms: number, signal: AbortSignal): Promise<void> {
  try {
    await sleep(ms, undefined, { signal })
  } catch {
    throw signal.reason
  }
}

/** Uploads `data` as the object `name` (retried as `PieceUpload` does); resolves with the stored object. */
export async function uploadObject(target: UploadTarget, name: string, data: Uint8Array, options: UploadOptions, signal: AbortSignal): Promise<ObjectInfo> {
  const upload = new PieceUpload(target, name, options, signal)
  await upload.write(data)
  return upload.finish()
}

/** The object resource GCS answers to an upload, or the failure: `GcsRequestFailed` with its status, or the socket's error. */
function answerOf(request: ClientRequest): Promise<ObjectInfo> {
  const answer = new Promise<ObjectInfo>((resolve, reject) => {
    // Kept for the request's life: a write racing a failure must not raise an unhandled 'error'.
    request.on('error', reject)
    request.once('response', (response) => {
      const parts: Buffer[] = []
      response.on('data', (part: Buffer) => parts.push(part))
      response.on('error', reject)
      response.once('end', () => {
        const text = Buffer.concat(parts).toString('utf8')
        const status = response.statusCode ?? 0
        if (status !== 200) return reject(new GcsRequestFailed(status, text))
        try {
          resolve(objectInfo(JSON.parse(text) as Record<string, unknown>))
        } catch (error) {
          reject(error)
        }
      })
    })
  })
  // Observed from the start: a request GCS answers early (or that breaks) while bytes are still written
  // must not become an unhandled rejection; `finish` reads the outcome.
  answer.catch(() => undefined)
  return answer
}
