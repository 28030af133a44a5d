import http from 'node:http'
import https from 'node:https'
import { IdempotencyStrategy, Storage } from '@google-cloud/storage'
import { GcsBucket } from './gcs-bucket.js'
import { isUnavailable } from './gcs-errors.js'
import type { RetryPolicy } from './json-api.js'

/** How to reach GCS. */
export interface GcsConnectionOptions {
  readonly bucket: string
  /** The JSON API's endpoint (an emulator, a fake); default GCS. */
  readonly endpoint?: string
  /** A service account key file; default the library's Application Default Credentials. */
  readonly keyFilename?: string
  /** How long one request may wait for GCS. */
  readonly requestTimeoutMs: number
  readonly retry: RetryPolicy
}

/** A bucket reached through one configured client, and what to free when done. */
export interface GcsConnection {
  readonly bucket: GcsBucket
  close(): void
}

/**
 * Configures `@google-cloud/storage` and the store's own uploads alike: the same endpoint, credentials,
 * request timeout and bounded retries. Every call is retried (the SDK's `RetryAlways`): the store makes
 * only calls that are safe to repeat (writes carry a generation precondition), and the SDK's conditional
 * strategy would switch retries off client-wide while an unconditional call runs. Requests to a custom
 * endpoint are signed only with a key file (an emulator or a fake takes unsigned ones); to GCS itself,
 * always. No I/O happens here.
 */
export function connectGcs(options: GcsConnectionOptions): GcsConnection {
  const { endpoint, keyFilename, requestTimeoutMs, retry } = options
  const signed = endpoint === undefined || keyFilename !== undefined
  const storage = new Storage({
    ...(endpoint === undefined ? {} : { apiEndpoint: endpoint }),
    ...(keyFilename === undefined ? {} : { keyFilename }),
    useAuthWithCustomEndpoint: signed,
    timeout: requestTimeoutMs,
    retryOptions: {
      autoRetry: retry.maxRetries > 0,
      maxRetries: retry.maxRetries,
      retryDelayMultiplier: retry.multiplier,
      maxRetryDelay: retry.maxDelayMs / 1000,
      // Above what the retries can take: past it, retry-request drops a failed call without an answer.
      totalTimeout: ((retry.maxRetries + 1) * (requestTimeoutMs + retry.maxDelayMs)) / 1000 + 60,
      idempotencyStrategy: IdempotencyStrategy.RetryAlways,
      retryableErrorFn: isUnavailable,
    },
  })
  const origin = storage.apiEndpoint
  const agent = origin.startsWith('https:') ? new https.Agent({ keepAlive: true }) : new http.Agent({ keepAlive: true })
  const bucket: GcsBucket = new GcsBucket(storage.bucket(options.bucket), {
    endpoint: origin,
    bucket: options.bucket,
    headers: async () => (signed ? ((await storage.authClient.getRequestHeaders()) as Record<string, string>) : {}),
    agent,
    timeoutMs: requestTimeoutMs,
    retry,
    stat: (name, signal) => bucket.stat(name, signal),
  })
  return { bucket, close: () => agent.destroy() }
}
