import type { OutgoingHttpHeaders } from 'node:http'
import type { Exchange } from '../../transport/exchange.js'

/** CORS settings: `*` for any origin, or a list of allowed origins. */
export interface CorsOptions {
  readonly allowOrigin: '*' | readonly string[]
  /** Request headers a browser may send, beyond the safelisted ones. */
  readonly allowHeaders: readonly string[]
  /** Response headers a browser script may read. */
  readonly exposeHeaders: readonly string[]
}

const ALLOW_METHODS = 'POST, HEAD, PATCH, OPTIONS, GET, DELETE'
const PREFLIGHT_MAX_AGE = '86400'

/** Adds the CORS headers a browser needs to a response, when the request came from a browser (`Origin`). */
export function addCorsHeaders(exchange: Exchange, headers: OutgoingHttpHeaders, options: CorsOptions): void {
  const origin = exchange.headers.origin
  // With a list, the answer depends on the request's Origin, even on its absence: a shared cache must know.
  if (options.allowOrigin !== '*') headers.vary = varyingOnOrigin(headers.vary)
  if (origin === undefined) return
  if (options.allowOrigin === '*') {
    headers['access-control-allow-origin'] = '*'
  } else {
    if (!options.allowOrigin.includes(origin)) return
    headers['access-control-allow-origin'] = origin
  }
  if (isPreflight(exchange)) {
    headers['access-control-allow-methods'] = ALLOW_METHODS
    headers['access-control-allow-headers'] = options.allowHeaders.join(', ')
    headers['access-control-max-age'] = PREFLIGHT_MAX_AGE
  } else {
    headers['access-control-expose-headers'] = options.exposeHeaders.join(', ')
  }
}

/** `Vary` of an answer (an application's may have one, upstream mode) with `Origin` among what it varies on. */
function varyingOnOrigin(vary: OutgoingHttpHeaders['vary']): string {
  const existing = (Array.isArray(vary) ? vary.join(', ') : String(vary ?? '')).trim()
  if (existing === '') return 'Origin'
  const names = existing.split(',').map((name) => name.trim().toLowerCase())
  return names.includes('*') || names.includes('origin') ? existing : `${existing}, Origin`
}

/** A browser's CORS preflight: OPTIONS with `Access-Control-Request-Method`. */
function isPreflight(exchange: Exchange): boolean {
  return exchange.method === 'OPTIONS' && exchange.headers['access-control-request-method'] !== undefined
}
