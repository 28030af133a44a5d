import http from 'node:http'
import https from 'node:https'
import { Storage } from '@google-cloud/storage'
import { GcsBucket } from './gcs-bucket.js'
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
 * The store's requests to the JSON API (json-api.ts, object-upload.ts), with credentials from
 * `@google-cloud/storage`'s auth client (a key file or Application Default Credentials). Requests to a custom
 * endpoint are signed only with a key file (an emulator or a fake takes unsigned ones); to GCS itself,
 * always. Every call is retried while GCS is unavailable: the store makes only calls that are safe to repeat
 * (writes carry a generation precondition). No I/O happens here.
 */
export function connectGcs(options: GcsConnectionOptions): GcsConnection {
  const { endpoint, keyFilename, requestTimeoutMs, retry } = options
  const signed = endpoint === undefined || keyFilename !== undefined
  const storage = new Storage({
    ...(endpoint === undefined ? {} : { apiEndpoint: endpoint }),
    ...(keyFilename === undefined ? {} : { keyFilename }),
    useAuthWithCustomEndpoint: signed,
  })
  const origin = storage.apiEndpoint
  const agent = origin.startsWith('https:') ? new https.Agent({ keepAlive: true }) : new http.Agent({ keepAlive: true })
  const bucket = new GcsBucket({
    endpoint: origin,
    bucket: options.bucket,
    headers: async () => (signed ? ((await storage.authClient.getRequestHeaders()) as Record<string, string>) : {}),
    agent,
    timeoutMs: requestTimeoutMs,
    retry,
  })
  return { bucket, close: () => agent.destroy() }
}
