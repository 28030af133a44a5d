import type { IncomingMessage } from 'node:http'
import { constants, type Http2ServerRequest, type Http2ServerResponse } from 'node:http2'
import type { Duplex } from 'node:stream'
import { whenResponseSent } from './http2-response-sent.js'

const REASON = 'CONNECT is not supported: this server is no proxy and opens no tunnels\n'
// The methods the gateway's resources take (tus and the draft); none of them takes CONNECT.
const ALLOW = 'GET, HEAD, POST, PATCH, DELETE, OPTIONS'

// A socket that can close once what was written has left (node's net.Socket and TLSSocket can).
interface ClosableSocket extends Duplex {
  destroySoon?: () => void
}

/**
 * A `'connect'` listener for every server of the listener: CONNECT (RFC 9110 §9.3.6) asks for a tunnel,
 * which this server never opens, so it is answered 405 with `Allow` (RFC 9110 §15.5.6), as nginx does, and
 * the reason in the body: a 4xx, since the request is the client's mistake (a 501 would read as a fault of
 * the server to wait out).
 *
 * Why a listener: node:http hands an HTTP/1.1 CONNECT to 'connect' listeners with the bare socket and,
 * without one, destroys the socket: the client got no answer at all. The connection is closed once the
 * answer has left, since after a CONNECT the client may send tunnel bytes that are no request. node:http2
 * emits an HTTP/2 CONNECT on the same event with a compat response (the TLS server gets both); its stream
 * is reset with NO_ERROR once the answer's END_STREAM has left (`giveUpMs` bounds that wait), as the
 * client would otherwise keep its tunnel's side open.
 */
export function refuseConnect(giveUpMs: number) {
  return (request: IncomingMessage | Http2ServerRequest, second: Duplex | Http2ServerResponse): void => {
    const headers = { allow: ALLOW, 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(REASON) }
    if (request.httpVersionMajor === 2) {
      const response = second as Http2ServerResponse
      const stream = response.stream
      // Tunnel bytes the client sends are dropped: a stream with unread data is never freed.
      stream.resume()
      response.writeHead(405, headers)
      response.end(REASON)
      stream.once('finish', () => whenResponseSent(stream, giveUpMs, () => stream.close(constants.NGHTTP2_NO_ERROR)))
      return
    }
    const socket = second as ClosableSocket
    const head = Object.entries(headers).map(([name, value]) => `${name}: ${value}\r\n`)
    socket.end(`HTTP/1.1 405 Method Not Allowed\r\nconnection: close\r\n${head.join('')}\r\n${REASON}`)
    // Closed once the answer is written, not before (on TLS it is still being encrypted).
    socket.destroySoon?.()
  }
}
