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
      headers ??= Object.fromEntries(
        Object.entries(exchange.headers)
          .filter((entry): entry is [string, string | string[]] => entry[1] !== undefined)
          .map(([name, value]) => [name, Array.isArray(value) ? value : [value]]),
      )
      return headers
    },
  }
}

/** An IPv6 address is bracketed before a port is added, as Go's `RemoteAddr` is. */
function hostPart(address: string): string {
  return address.includes(':') ? `[${address}]` : address
}
