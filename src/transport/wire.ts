import type { OutgoingHttpHeaders } from 'node:http'
import type { Readable, Writable } from 'node:stream'

/** The compat request shape node:http and node:http2 share, as far as the transport uses it. */
export interface WireRequest extends Readable {
  readonly method?: string
  readonly url?: string
  readonly headers: Record<string, string | string[] | undefined>
  /** Names and values alternating, as received. */
  readonly rawHeaders: string[]
  readonly trailers: Record<string, string | string[] | undefined>
  readonly complete: boolean
}

/** The compat response shape node:http and node:http2 share, as far as the transport uses it. */
export interface WireResponse extends Writable {
  readonly headersSent: boolean
  writeHead(status: number, headers?: OutgoingHttpHeaders): unknown
  writeContinue(): void
}

/**
 * What differs between HTTP/1.1 and HTTP/2 for one exchange: a small shape with one
 * implementation per version (http1-wire.ts, http2-wire.ts), picked once per request.
 */
export interface Wire {
  readonly httpVersion: '1.1' | '2'
  readonly scheme: 'http' | 'https'
  readonly authority: string | undefined
  readonly remoteAddress: string | undefined
  readonly remotePort: number | undefined
  /** The request content as it arrives, with backpressure. */
  requestBody(): AsyncIterable<Buffer>
  /**
   * True when the request carries content (possibly empty), as its framing says: HTTP/1.1 a `Content-Length`
   * other than 0 or a `Transfer-Encoding`, HTTP/2 a HEADERS frame without END_STREAM, with or without a length.
   */
  requestHasBody(): boolean
  /** True when the request has no content or all of it has been received. */
  requestEnded(): boolean
  sendInformational(status: number, headers: Record<string, string>): void
  /** Writes the final response head (HTTP/1.1 adds reason phrases node does not know, such as 460). */
  writeHead(status: number, headers: OutgoingHttpHeaders): void
  /**
   * Called before the final response when the request body has not been read to its end: the client
   * is stopped once the response is sent (HTTP/1.1 closes the connection after a bounded lingering read,
   * HTTP/2 resets the stream, but at shutdown lets the client stop by itself), rather than reading an unwanted
   * body to its end.
   */
  prepareForUnreadBody(headers: OutgoingHttpHeaders, progress: UnreadBodyProgress): void
  /**
   * Calls `listener` once if the client goes away (the connection closes, the stream is reset) before the
   * whole response was handed to node; never after that.
   */
  onClientGone(listener: () => void): void
}

/** What the exchange knows about a request body it answers before reading to its end. */
export interface UnreadBodyProgress {
  /** Body bytes read so far. */
  readonly bytesRead: number
  /** The client sent `Expect: 100-continue` and never got its `100`: it may not send the body at all. */
  readonly continueWithheld: boolean
  /** The answer was asked for by the gateway's shutdown: the connection ends soon whatever the wire does. */
  readonly shuttingDown: boolean
}
