import type { Exchange } from '../../transport/exchange.js'
import { headerValue } from './header-value.js'

// A host with an optional port: names, IPv4, bracketed IPv6. Anything else (spaces, slashes,
// CR/LF) could smuggle text into Location, so it is not used.
const HOST = /^(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/
const PROTO = /^https?$/i

/**
 * The origin (`scheme://host[:port]`) the client used to reach the gateway, for absolute
 * `Location` URLs. With `behindProxy`, `Forwarded` (RFC 7239) and then `X-Forwarded-Host` /
 * `X-Forwarded-Proto` are trusted. Returns undefined when no usable host is known (the caller
 * then answers with a relative URL, which tus and the draft allow).
 */
export function requestOrigin(exchange: Exchange, behindProxy: boolean): string | undefined {
  let scheme: string = exchange.scheme
  let host = exchange.authority
  if (behindProxy) {
    const forwarded = parseForwarded(headerValue(exchange.headers, 'forwarded'))
    const forwardedHost = forwarded.host ?? firstValue(headerValue(exchange.headers, 'x-forwarded-host'))
    const forwardedProto = forwarded.proto ?? firstValue(headerValue(exchange.headers, 'x-forwarded-proto'))
    if (forwardedHost !== undefined && HOST.test(forwardedHost)) host = forwardedHost
    if (forwardedProto !== undefined && PROTO.test(forwardedProto)) scheme = forwardedProto.toLowerCase()
  }
  if (host === undefined || !HOST.test(host)) return undefined
  return `${scheme}://${host}`
}

function firstValue(value: string | undefined): string | undefined {
  return value?.split(',')[0]?.trim() || undefined
}

/** The `host` and `proto` of the first element of a `Forwarded` header (the one nearest the client). */
function parseForwarded(value: string | undefined): { host?: string; proto?: string } {
  const first = value?.split(',')[0]
  if (first === undefined) return {}
  const result: { host?: string; proto?: string } = {}
  for (const pair of first.split(';')) {
    const [rawKey, ...rest] = pair.split('=')
    const key = rawKey?.trim().toLowerCase()
    const raw = rest.join('=').trim()
    const unquoted = raw.startsWith('"') && raw.endsWith('"') ? raw.slice(1, -1) : raw
    if (key === 'host') result.host = unquoted
    if (key === 'proto') result.proto = unquoted
  }
  return result
}
