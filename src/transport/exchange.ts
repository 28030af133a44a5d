import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http'
import type { Readable } from 'node:stream'

/** The body of a response: text, bytes, a stream, or nothing. */
export type ResponseBody = string | Uint8Array | Readable | undefined

/**
 * One request and its response, the same shape over HTTP/1.1 and HTTP/2: nothing above
 * `transport/` knows which version carries it.
 */
export interface Exchange {
  readonly method: string
  /** The raw request path (not percent-decoded), without the query. */
  readonly path: string
  /** Header names in lower case; HTTP/2 pseudo-headers left out. */
  readonly headers: IncomingHttpHeaders
  /**
   * The header fields as received, one name and one value per line (names as the client spelled them),
   * repeated fields not joined; HTTP/2 pseudo-headers left out. For hook payloads, which list every line.
   */
  readonly rawHeaders?: readonly string[]
  readonly httpVersion: '1.1' | '2'
  /** `https` when the connection is TLS. */
  readonly scheme: 'http' | 'https'
  /** The `Host` header (HTTP/1.1) or `:authority` (HTTP/2), if any. */
  readonly authority: string | undefined
  readonly remoteAddress: string | undefined
  readonly remotePort: number | undefined
  /** The raw request target as the client sent it (path and query, not percent-decoded), for hooks and logs. */
  readonly uri: string
  /**
   * Whether the request carries content: HTTP/1.1 a `Content-Length` other than 0 or a `Transfer-Encoding`,
   * HTTP/2 a stream its HEADERS did not end (it needs no `Content-Length`).
   */
  readonly hasBody: boolean
  /**
   * The request content, streamed with backpressure. Reading it sends `100 Continue` first
   * when the client asked for it (so a request rejected early never has to send its body).
   */
  readonly body: AsyncIterable<Uint8Array>
  /** Trailer fields, known once the body has ended (empty before or if none were sent). */
  trailers(): Record<string, string>
  /**
   * Aborted when the client goes away or the gateway shuts down, with a reason from model/stop-reasons.ts,
   * or when the body arrives slower than the minimum rate (BodyTooSlow).
   */
  readonly signal: AbortSignal
  /** Sends an interim (1xx) response; ignored once the final response has started. */
  sendInformational(status: number, headers: Record<string, string>): void
  /**
   * Sends the final response. When the request body was not read to its end, the connection
   * (HTTP/1.1) or stream (HTTP/2) is closed afterwards rather than draining an unwanted body.
   */
  respond(status: number, headers: OutgoingHttpHeaders, body?: ResponseBody): Promise<void>
  /** True once the final response has been started. */
  readonly responded: boolean
}

/** Handles one exchange; must not throw (the transport logs and answers 500 if it does). */
export type ExchangeHandler = (exchange: Exchange) => Promise<void>
