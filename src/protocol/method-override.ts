import type { Exchange } from '../transport/exchange.js'

const METHOD = /^[A-Z]{1,16}$/

/**
 * T-09: `X-HTTP-Method-Override` is the request method when present (clients that cannot send
 * PATCH or DELETE send POST with it). A value that is not a method is ignored.
 */
export function effectiveMethod(exchange: Exchange): string {
  const override = exchange.headers['x-http-method-override']
  const value = Array.isArray(override) ? override[0] : override
  const method = value?.trim().toUpperCase()
  return method !== undefined && METHOD.test(method) ? method : exchange.method
}
