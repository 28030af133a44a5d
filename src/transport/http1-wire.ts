import { STATUS_CODES, type IncomingMessage, type OutgoingHttpHeaders, type ServerResponse } from 'node:http'
import type { TLSSocket } from 'node:tls'
import { takeUnreadBody, type UnreadBodyLimits } from './http1-unread-body.js'
import type { UnreadBodyProgress, Wire } from './wire.js'

// node:http has no public API for arbitrary 1xx responses. `_writeRaw` is what `writeEarlyHints`
// uses: it writes before the final head and keeps order with pipelined responses, which writing
// to the socket directly does not (spec/notes.md §7).
interface RawWritable {
  _writeRaw(data: string, encoding: 'latin1'): boolean
}

// Reason phrases of statuses node does not know, so a status line never reads "unknown".
// tus 1.0.0 checksum extension: 460 Checksum Mismatch.
const EXTRA_REASONS: Record<number, string> = { 460: 'Checksum Mismatch' }

const INFORMATIONAL_REASONS: Record<number, string> = { 104: 'Upload Resumption Supported' }

// A request target in absolute form (RFC 9112 §3.2.2), its authority captured.
const ABSOLUTE_FORM = /^https?:\/\/([^/?#]*)/i

/** HTTP/1.1 specifics of an exchange. */
export class Http1Wire implements Wire {
  readonly httpVersion = '1.1' as const
  readonly #request: IncomingMessage
  readonly #response: ServerResponse
  readonly #unreadBody: UnreadBodyLimits

  constructor(request: IncomingMessage, response: ServerResponse, unreadBody: UnreadBodyLimits) {
    this.#request = request
    this.#response = response
    this.#unreadBody = unreadBody
  }

  get scheme(): 'http' | 'https' {
    return (this.#request.socket as TLSSocket).encrypted === true ? 'https' : 'http'
  }

  get authority(): string | undefined {
    // RFC 9112 §3.2.2: a request target in absolute form names the host, and Host is ignored.
    const absolute = ABSOLUTE_FORM.exec(this.#request.url ?? '')
    return absolute === null ? this.#request.headers.host : absolute[1]
  }

  get remoteAddress(): string | undefined {
    return this.#request.socket.remoteAddress
  }

  get remotePort(): number | undefined {
    return this.#request.socket.remotePort
  }

  requestBody(): AsyncIterable<Buffer> {
    return this.#request
  }

  requestHasBody(): boolean {
    // RFC 9112 §6.3: without Content-Length or Transfer-Encoding, a request has no body.
    const { headers } = this.#request
    return headers['transfer-encoding'] !== undefined || (headers['content-length'] !== undefined && headers['content-length'] !== '0')
  }

  requestEnded(): boolean {
    // RFC 9112 §6.3: a request with neither Content-Length nor Transfer-Encoding has no body. node marks
    // it complete only after emitting it, so one answered at once (OPTIONS) would otherwise look unread.
    const { headers } = this.#request
    return this.#request.complete || (headers['content-length'] === undefined && headers['transfer-encoding'] === undefined)
  }

  sendInformational(status: number, headers: Record<string, string>): void {
    if (this.#response.headersSent || this.#response.destroyed) return
    // RFC 9110 §15.2: a server MUST NOT send a 1xx response to an HTTP/1.0 client.
    if (this.#request.httpVersionMajor === 1 && this.#request.httpVersionMinor === 0) return
    const reason = INFORMATIONAL_REASONS[status] ?? STATUS_CODES[status] ?? 'Informational'
    let head = `HTTP/1.1 ${status} ${reason}\r\n`
    for (const [name, value] of Object.entries(headers)) head += `${name}: ${value}\r\n`
    ;(this.#response as unknown as RawWritable)._writeRaw(`${head}\r\n`, 'latin1')
  }

  writeHead(status: number, headers: OutgoingHttpHeaders): void {
    const reason = EXTRA_REASONS[status]
    if (reason === undefined) this.#response.writeHead(status, headers)
    else this.#response.writeHead(status, reason, headers)
  }

  prepareForUnreadBody(headers: OutgoingHttpHeaders, progress: UnreadBodyProgress): void {
    // node would otherwise read the rest of the body, however large, to keep the connection alive. A
    // short rest is still read; otherwise `Connection: close` announces that the connection ends after
    // the response (RFC 9112 §9.6), which it does once the client had a chance to read the answer.
    if (takeUnreadBody(this.#request, this.#response, this.#unreadBody, progress) === 'linger') headers.connection = 'close'
  }

  onClientGone(listener: () => void): void {
    // The response closes before it finished only when the connection went away first.
    this.#response.once('close', () => {
      if (!this.#response.writableFinished) listener()
    })
  }
}
