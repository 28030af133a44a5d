import type { IncomingHttpHeaders } from 'node:http'

/** Where a request came from, as the gateway saw it. */
export interface RequestOrigin {
  /** The client's address, without port. */
  readonly remoteAddress?: string
  /** The `Host` (or `:authority`) the client asked for. */
  readonly host?: string
  readonly scheme: 'http' | 'https'
}

const FORWARDING = ['forwarded', 'x-forwarded-for', 'x-forwarded-host', 'x-forwarded-proto']

/**
 * The forwarding headers the application gets, as reverse proxies send them: `Forwarded` (RFC 7239) and
 * `X-Forwarded-For` / `-Host` / `-Proto`. With `trustIncoming` (`--behind-proxy`) the chain the client's side
 * sent is kept and this hop appended; otherwise whatever the client sent is dropped (it could be forged).
 */
export function forwardingHeaders(incoming: IncomingHttpHeaders | Readonly<Record<string, string>>, origin: RequestOrigin, trustIncoming: boolean): Record<string, string> {
  const prior = (name: string): string | undefined => {
    if (!trustIncoming) return undefined
    const value = incoming[name]
    return Array.isArray(value) ? value.join(', ') : value
  }
  const chain = (name: string, value: string): string => {
    const before = prior(name)
    return before === undefined || before === '' ? value : `${before}, ${value}`
  }
  const address = origin.remoteAddress === undefined ? undefined : plainAddress(origin.remoteAddress)
  const element = [
    ...(address === undefined ? [] : [`for=${forwardedNode(address)}`]),
    ...(origin.host === undefined ? [] : [`host=${quoted(origin.host)}`]),
    `proto=${origin.scheme}`,
  ].join(';')
  return {
    forwarded: chain('forwarded', element),
    ...(address === undefined ? {} : { 'x-forwarded-for': chain('x-forwarded-for', address) }),
    'x-forwarded-host': prior('x-forwarded-host') ?? origin.host ?? '',
    'x-forwarded-proto': prior('x-forwarded-proto') ?? origin.scheme,
  }
}

/** Headers without the forwarding ones, which `forwardingHeaders` rebuilds. */
export function withoutForwarding<T extends Record<string, unknown>>(headers: T): T {
  const result: Record<string, unknown> = {}
  for (const [name, value] of Object.entries(headers)) if (!FORWARDING.includes(name)) result[name] = value
  return result as T
}

// A dual-stack socket reports IPv4 clients as IPv4-mapped IPv6 (`::ffff:192.0.2.7`): shown as IPv4.
function plainAddress(address: string): string {
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address
}

// RFC 7239 §6: an IPv6 address is bracketed and quoted.
function forwardedNode(address: string): string {
  return address.includes(':') ? `"[${address}]"` : address
}

function quoted(value: string): string {
  return /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(value) ? value : `"${value.replace(/["\\]/g, '\\$&')}"`
}
