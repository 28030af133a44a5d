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
  /**
   * How long a request body passed on may send nothing (`--network-timeout`) before it is stopped, the request to
   * the application aborted and the client answered 500; 0 turns it off.
   */
  readonly bodyIdleTimeoutMs: number
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

/** A request target whose dot segments (`/../`, `/%2e%2e/`) would resolve outside the application's path prefix. */
export class OutsidePrefix extends Error {
  constructor(
    readonly uri: string,
    readonly prefix: string,
  ) {
    super(`the request target ${uri.slice(0, 200)} resolves outside the application's path prefix ${prefix}`)
    this.name = 'OutsidePrefix'
  }
}

/**
 * A request target that, once its dot segments are resolved (`/x/../metrics`, `/x/%2e%2e/files/`) and its
 * percent-encoded unreserved characters decoded (`/%6detrics`), names one of the gateway's own paths: its
 * spelling is the application's, what it means the gateway's.
 */
export class GatewayPath extends Error {
  constructor(readonly uri: string) {
    super(`the request target ${uri.slice(0, 200)} resolves to one of the gateway's own paths`)
    this.name = 'GatewayPath'
  }
}

/**
 * The application's URL for a request target (`uri`: path and query as the client sent them): the base URL's
 * origin, its path prefix, then the target. Throws `OutsidePrefix` when the target's dot segments would take it
 * above the prefix: a request to the gateway must never reach a path of the application's host outside it.
 * Throws `GatewayPath` when `gatewayPath` is given and holds for the resolved path under the prefix: the path
 * the application would serve is one the gateway keeps for itself (the collection, the metrics, the demo page).
 */
export function upstreamUrl(base: URL, uri: string, gatewayPath?: (path: string) => boolean): URL {
  const prefix = base.pathname.replace(/\/+$/, '')
  const url = new URL(`${base.origin}${prefix}${uri.startsWith('/') ? uri : `/${uri}`}`)
  // The URL parser resolves dot segments (RFC 3986 §5.2.4, and `%2e` and `\` as WHATWG URL does) after the prefix
  // was put before them: `/app` and `/../admin` make `/admin`. Checking the result catches every spelling.
  if (prefix !== '' && url.pathname !== prefix && !url.pathname.startsWith(`${prefix}/`)) throw new OutsidePrefix(uri, prefix)
  if (gatewayPath !== undefined && gatewayPath(normalized(url.pathname.slice(prefix.length)))) throw new GatewayPath(uri)
  return url
}

/**
 * A resolved path as the gateway names its own: `/` for the prefix itself, repeated slashes as one (as many
 * servers and proxies take them: `//metrics`), and percent-encoded unreserved characters decoded (RFC 3986
 * §6.2.2.2: `/%6detrics` and `/metrics` are the same path); other escapes stay.
 */
function normalized(path: string): string {
  if (path === '') return '/'
  return path.replace(/\/{2,}/g, '/').replace(/%([0-9a-f]{2})/gi, (escape: string, hex: string) => {
    const char = String.fromCharCode(Number.parseInt(hex, 16))
    return /^[A-Za-z0-9._~-]$/.test(char) ? char : escape
  })
}
