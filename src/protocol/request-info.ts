import type { RequestInfo } from '../model/request-info.js'
import type { Exchange } from '../transport/exchange.js'

/**
 * The facts of a request for hooks, events and logs. Headers are copied only when someone reads them
 * (a hook payload), so that requests nobody inspects pay nothing for it.
 */
export function requestInfoOf(exchange: Exchange, protocol: string, method: string, requestId?: string): RequestInfo {
  let headers: Record<string, readonly string[]> | undefined
  const { remoteAddress, remotePort } = exchange
  return {
    protocol,
    method,
    uri: exchange.uri,
    ...(remoteAddress === undefined ? {} : { remoteAddress: remotePort === undefined ? remoteAddress : `${hostPart(remoteAddress)}:${remotePort}` }),
    ...(requestId === undefined ? {} : { requestId }),
    get headers() {
      headers ??= headerLists(exchange)
      return headers
    },
  }
}

/**
 * Every header field of the request, one value per field line as received (node joins repeated lines
 * into one value, and keeps only the first of some), and `host` from HTTP/2's `:authority`, which
 * stands for it (RFC 9113 §8.3.1), when the request carries no `Host` of its own.
 */
function headerLists(exchange: Exchange): Record<string, readonly string[]> {
  const lists: Record<string, string[]> = {}
  const add = (name: string, value: string): void => {
    const key = name.toLowerCase()
    // Own properties only: a header named `__proto__` or `constructor` is a header like any other.
    if (Object.hasOwn(lists, key)) (lists[key] as string[]).push(value)
    else Object.defineProperty(lists, key, { value: [value], enumerable: true, writable: true, configurable: true })
  }
  const { rawHeaders } = exchange
  if (rawHeaders !== undefined) {
    for (let index = 0; index + 1 < rawHeaders.length; index += 2) add(rawHeaders[index] as string, rawHeaders[index + 1] as string)
  } else {
    for (const [name, value] of Object.entries(exchange.headers)) {
      if (value === undefined) continue
      for (const item of Array.isArray(value) ? value : [value]) add(name, item)
    }
  }
  if (!Object.hasOwn(lists, 'host') && exchange.authority !== undefined) add('host', exchange.authority)
  return lists
}

/**
 * An IPv6 address is bracketed before a port is added, as Go's `RemoteAddr` is; an IPv4 peer that a
 * dual-stack socket reports as `::ffff:a.b.c.d` is shown as `a.b.c.d`, as Go shows it.
 */
function hostPart(address: string): string {
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(address)
  if (mapped !== null) return mapped[1] as string
  return address.includes(':') ? `[${address}]` : address
}
