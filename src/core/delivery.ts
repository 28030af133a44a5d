import type { Readable } from 'node:stream'
import type { RequestInfo } from '../model/request-info.js'
import type { Upload } from '../model/upload.js'

/**
 * The final answer of an upload's target (upstream mode: the application behind the gateway) to the
 * delivery of the complete upload: status and headers, and a body that streams in; whoever gets it either
 * passes the body on or calls `discard`.
 */
export interface DeliveryResponse {
  readonly status: number
  /** Header names in lower case; end-to-end headers only. */
  readonly headers: Readonly<Record<string, string | readonly string[]>>
  readonly body: Readable
  /** Requests it took, retries included. */
  readonly attempts: number
  /** Reads the body to its end and drops it (the connection can then serve the next delivery). */
  discard(): void
}

/** What `delivered` publishes of the target's answer (its body is not kept). */
export interface DeliverySummary {
  readonly status: number
  readonly headers: Readonly<Record<string, string | readonly string[]>>
  readonly attempts: number
}

/**
 * The port that hands a complete upload on to the target it was created for (`Upload.target`), as one
 * ordinary request. The core calls it under the upload's lock, after the store finished the upload;
 * retries, timeouts and limits are the implementation's.
 */
export interface UploadDelivery {
  /**
   * Sends `upload` (complete and finished, with a target) as one request whose body `read` streams from
   * the store (called once per attempt; the stream is the caller's to consume). Resolves once the target's
   * final answer has arrived (its head; the body follows). Throws `DeliveryFailed` when the target did not
   * answer (after retries), and `signal.reason` when `signal` aborts (the lock was lost, or shutdown).
   * `request` is the request that triggered the delivery, when one did (for logs).
   */
  deliver(upload: Upload, read: (signal: AbortSignal) => Promise<Readable>, request: RequestInfo | undefined, signal: AbortSignal): Promise<DeliveryResponse>
}
