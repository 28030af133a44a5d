import { constants, type Http2ServerRequest, type Http2ServerResponse, type OutgoingHttpHeaders } from 'node:http2'
import type { Wire } from './wire.js'

/** HTTP/2 specifics of an exchange. */
export class Http2Wire implements Wire {
  readonly httpVersion = '2' as const
  readonly #request: Http2ServerRequest
  readonly #response: Http2ServerResponse

  constructor(request: Http2ServerRequest, response: Http2ServerResponse) {
    this.#request = request
    this.#response = response
  }

  get scheme(): 'http' | 'https' {
    // The connection decides, not the client's `:scheme`.
    return this.#request.stream.session?.encrypted === true ? 'https' : 'http'
  }

  get authority(): string | undefined {
    return this.#request.authority || this.#request.headers.host
  }

  get remoteAddress(): string | undefined {
    return this.#request.stream.session?.socket?.remoteAddress
  }

  requestEnded(): boolean {
    const stream = this.#request.stream
    return stream.endAfterHeaders || this.#request.readableEnded
  }

  sendInformational(status: number, headers: Record<string, string>): void {
    const stream = this.#response.stream
    if (this.#response.headersSent || stream.destroyed || stream.headersSent) return
    stream.additionalHeaders({ ':status': status, ...headers })
  }

  prepareForUnreadBody(_headers: OutgoingHttpHeaders): void {
    // Nothing to announce: HTTP/2 ends the one stream, not the connection.
  }

  discardUnreadBody(): void {
    // RFC 9113 §8.1: a server that answered before the request ended may ask the client to stop
    // sending with RST_STREAM(NO_ERROR); the response already sent stays valid.
    const stream = this.#response.stream
    if (!stream.closed && !stream.destroyed) stream.close(constants.NGHTTP2_NO_ERROR)
  }
}
