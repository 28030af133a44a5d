import type { Readable } from 'node:stream'
import { DeleteObjectCommand, HeadObjectCommand, type HeadObjectCommandOutput, type S3Client } from '@aws-sdk/client-s3'
import { eitherSignal } from '../../model/either-signal.js'
import { isNotFound, isSilence, isTransient, storeError } from './s3-errors.js'

/** Bytes to send, which can be read again for a retry. */
export interface BodySource {
  readonly size: number
  /** A fresh stream of the bytes (or the bytes themselves, when small). */
  open(): Readable | Uint8Array
  /** The bytes' SHA-256 in hex, which signs them so that S3 checks them (`signPayload`); absent when hashes are off. */
  readonly sha256?: string
}

/** How the store's calls behave. */
export interface CallOptions {
  readonly client: S3Client
  readonly bucket: string
  /** Most time a call without a streamed body may take, in milliseconds, retries included. */
  readonly requestTimeoutMs: number
  /** Attempts of a call that streams its body (the client cannot retry those itself). */
  readonly maxAttempts: number
}

/**
 * How the store calls S3: a call with a small body or none runs under `requestTimeoutMs`, the client's
 * retries included; a call that streams its body is tried up to `maxAttempts` times here (not again after S3
 * stayed silent), its body reopened each time (the client never retries a stream), the socket's idle timeout
 * stopping an attempt that stalls. Every failure goes through `storeError`.
 */
export class S3Calls {
  readonly #options: CallOptions

  constructor(options: CallOptions) {
    this.#options = options
  }

  /** Runs `call` with a signal that aborts with `signal` or at the timeout (unless `timeout: false`). */
  async call<T>(signal: AbortSignal, call: (abortSignal: AbortSignal) => Promise<T>, options: { timeout?: boolean } = {}): Promise<T> {
    signal.throwIfAborted()
    const linked = options.timeout === false ? undefined : eitherSignal(signal, AbortSignal.timeout(this.#options.requestTimeoutMs))
    try {
      return await call(linked?.signal ?? signal)
    } catch (error) {
      throw storeError(error, signal)
    } finally {
      linked?.unlink()
    }
  }

  /**
   * Runs `call` (which opens its body afresh) until it succeeds, fails for good, or `maxAttempts` are spent, with a
   * short backoff. A failure (a refused or reset connection, a 503 SlowDown) is tried again however long the
   * attempt streamed before it, but not an attempt S3 left silent until its socket timeout: a silent S3 is waited
   * out once, not once per attempt (three attempts of a part took 100-190 s against a paused radosgw).
   */
  async streamed<T>(signal: AbortSignal, call: (abortSignal: AbortSignal) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      signal.throwIfAborted()
      try {
        return await call(signal)
      } catch (error) {
        const spent = attempt >= this.#options.maxAttempts || isSilence(error)
        if (signal.aborted || spent || !isTransient(error)) throw storeError(error, signal)
        await backoff(attempt, signal)
      }
    }
  }

  /** HEAD of `key`, or undefined when there is no such object. */
  async head(key: string, signal: AbortSignal): Promise<HeadObjectCommandOutput | undefined> {
    return this.call(signal, async (abortSignal) => {
      try {
        return await this.#options.client.send(new HeadObjectCommand({ Bucket: this.#options.bucket, Key: key }), { abortSignal })
      } catch (error) {
        if (isNotFound(error)) return undefined
        throw error
      }
    })
  }

  /** Removes `key` (nothing if it is gone). One key at a time: DeleteObjects needs a checksum some S3-compatible servers refuse. */
  async remove(key: string, signal: AbortSignal): Promise<void> {
    await this.call(signal, async (abortSignal) => {
      try {
        await this.#options.client.send(new DeleteObjectCommand({ Bucket: this.#options.bucket, Key: key }), { abortSignal })
      } catch (error) {
        if (!isNotFound(error)) throw error
      }
    })
  }
}

/** Waits 100 ms, 200 ms, 400 ms ... (at most 2 s, with jitter) before another attempt; rejects when `signal` aborts. */
function backoff(attempt: number, signal: AbortSignal): Promise<void> {
  const ms = Math.min(2000, 100 * 2 ** (attempt - 1)) * (0.5 + Math.random() / 2)
  return new Promise((resolve, reject) => {
    const timer = setTimeout(done, ms)
    function done(): void {
      signal.removeEventListener('abort', aborted)
      resolve()
    }
    function aborted(): void {
      clearTimeout(timer)
      reject(signal.reason)
    }
    signal.addEventListener('abort', aborted, { once: true })
  })
}

/** A date as milliseconds since the epoch, when S3 gave a valid one. */
export function dateOf(date: Date | undefined): { lastModified?: number } {
  return date === undefined || Number.isNaN(date.getTime()) ? {} : { lastModified: date.getTime() }
}
