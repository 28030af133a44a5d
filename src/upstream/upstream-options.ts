import type { Logger } from 'pino'

/** How the gateway talks to the application behind it (upstream mode). */
export interface UpstreamOptions {
  /** The application's base URL: its origin, and a path prefix put before every request's path. */
  readonly url: URL
  /**
   * How long the application may stay silent: to accept a connection, to take more of a request body, to
   * begin its answer, and between two pieces of its answer. A delivery that times out is not retried (504).
   */
  readonly timeoutMs: number
  /** How often a delivery is tried again when the application is unreachable or answers with a 5xx. */
  readonly retries: number
  /** Pause before the first retry; it doubles with every further one. */
  readonly retryDelayMs: number
  /** Deliveries under way at once; more wait up to `timeoutMs` for a turn, then fail (503). */
  readonly maxDeliveries: number
  /** Keep the `Forwarded` / `X-Forwarded-*` chain clients send (`--behind-proxy`) instead of dropping it. */
  readonly trustForwarded: boolean
  readonly logger: Logger
}

/** The application's URL for a request target (`uri`: path and query as the client sent them). */
export function upstreamUrl(base: URL, uri: string): URL {
  const prefix = base.pathname.replace(/\/+$/, '')
  return new URL(`${base.origin}${prefix}${uri.startsWith('/') ? uri : `/${uri}`}`)
}
