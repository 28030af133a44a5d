import type { Exchange } from '../../transport/exchange.js'
import { HeaderError } from '../header-error.js'

/** The request's `Content-Length`, or undefined when the body is chunked or its size is not announced. Throws HeaderError. */
export function requestBodySize(exchange: Exchange): number | undefined {
  const value = exchange.headers['content-length']
  if (value === undefined) return undefined
  if (!/^\d{1,15}$/.test(value)) throw new HeaderError('Content-Length', `must be a non-negative integer, got "${value.slice(0, 64)}"`)
  return Number(value)
}
