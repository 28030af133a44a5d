import type { ServerResponse } from 'node:http'

/**
 * RFC 9112 §3.2: a server MUST answer 400 to an HTTP/1.1 request with more than one Host header. node keeps
 * the first; a proxy in front may have routed by another, and `Location` would name a host the client
 * never asked for.
 */
export function hasRepeatedHost(rawHeaders: readonly string[]): boolean {
  let seen = false
  for (let index = 0; index < rawHeaders.length; index += 2) {
    const name = rawHeaders[index] as string
    if (name.length !== 4 || name.toLowerCase() !== 'host') continue
    if (seen) return true
    seen = true
  }
  return false
}

/** Answers such a request 400 and closes its connection (its body, if any, is not read). */
export function refuseRepeatedHost(response: ServerResponse): void {
  response.writeHead(400, { 'content-type': 'text/plain; charset=utf-8', connection: 'close' })
  response.end('a request must carry one Host header; this one has more than one Host header (RFC 9112 §3.2)')
}
