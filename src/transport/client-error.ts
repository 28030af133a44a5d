import { STATUS_CODES } from 'node:http'
import type { Duplex } from 'node:stream'

// node's internal marker of a response in progress on an HTTP/1.1 connection.
interface HttpSocket extends Duplex {
  _httpMessage?: { _headerSent?: boolean } | null
  destroySoon?: () => void
}

// An answer for the errors of a request head (node's parser errors are `HPE_*`); undefined for any
// other error (a reset connection, or a failed TLS handshake, which an Http2SecureServer also reports
// as 'clientError'), where there is nobody to answer in HTTP/1.1.
function statusFor(code: string | undefined): number | undefined {
  if (code === 'HPE_HEADER_OVERFLOW') return 431 // RFC 6585 §5: Request Header Fields Too Large
  if (code === 'HPE_CHUNK_EXTENSIONS_OVERFLOW') return 413
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT') return 408 // the request head did not arrive in time
  if (code?.startsWith('HPE_') === true) return 400
  return undefined
}

/**
 * A `'clientError'` listener for the HTTP/1.1 servers: a malformed, too large or too slow request
 * head is answered (400, 431, 408, as node does) and the connection closed once the answer has left.
 *
 * node's own handler writes the answer and destroys the socket at once. On a plain socket the answer
 * usually got out; on a TLS socket it is still being encrypted and is lost, so a TLS client saw a
 * bare disconnect instead of 431.
 */
export function answerClientError(error: Error & { code?: string }, socket: Duplex): void {
  const connection = socket as HttpSocket
  const status = statusFor(error.code)
  // Once a response has started, an error answer would corrupt it: only close.
  if (status === undefined || !connection.writable || connection._httpMessage?._headerSent === true) {
    connection.destroy()
    return
  }
  connection.end(`HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`)
  // Closed once the answer is written (destroySoon), not before.
  connection.destroySoon?.()
}
