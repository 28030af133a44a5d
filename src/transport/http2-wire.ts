import { constants, type Http2ServerRequest, type Http2ServerResponse, type OutgoingHttpHeaders } from 'node:http2'
import { boundedReads } from './bounded-reads.js'
import type { UnreadBodyLimits } from './http1-unread-body.js'
import { whenResponseSent } from './http2-response-sent.js'
import { compactUnreadData } from './http2-unread-data.js'
import type { UnreadBodyProgress, Wire } from './wire.js'

const READ_SIZE = 64 * 1024
// How long after an early answer has left the stream is asked to stop (RST_STREAM NO_ERROR); see prepareForUnreadBody.
const EARLY_ANSWER_RESET_DELAY_MS = 200

/** HTTP/2 specifics of an exchange. */
export class Http2Wire implements Wire {
  readonly httpVersion = '2' as const
  readonly #request: Http2ServerRequest
  readonly #response: Http2ServerResponse
  readonly #unreadBody: Pick<UnreadBodyLimits, 'lingerTimeMs' | 'lingerMaxBytes'>

  /**
   * `unreadBody`: how long an early answer waits for its END_STREAM to leave before the stream is reset
   * anyway (`lingerTimeMs`), and how many body bytes it discards meanwhile before resetting it (`lingerMaxBytes`).
   */
  constructor(request: Http2ServerRequest, response: Http2ServerResponse, unreadBody: Pick<UnreadBodyLimits, 'lingerTimeMs' | 'lingerMaxBytes'>) {
    this.#request = request
    this.#response = response
    this.#unreadBody = unreadBody
    if (!request.stream.endAfterHeaders) compactUnreadData(request.stream)
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

  get remotePort(): number | undefined {
    return this.#request.stream.session?.socket?.remotePort
  }

  requestBody(): AsyncIterable<Buffer> {
    // Straight from the stream, joining its small DATA chunks into reads of up to 64 KiB (the size of
    // HTTP/1.1's socket reads): the compat request would pass every chunk through a second readable,
    // one by one. Its trailers are still collected by the compat request, which listens for them.
    return boundedReads(this.#request.stream, READ_SIZE)
  }

  writeHead(status: number, headers: OutgoingHttpHeaders): void {
    // HTTP/2 has no reason phrase.
    this.#response.writeHead(status, headers)
  }

  requestHasBody(): boolean {
    // RFC 9113 §8.1: a request without content ends its stream with its HEADERS; Content-Length is optional.
    return !this.#request.stream.endAfterHeaders && this.#request.headers['content-length'] !== '0'
  }

  requestEnded(): boolean {
    const stream = this.#request.stream
    return stream.endAfterHeaders || stream.readableEnded || this.#request.readableEnded
  }

  sendInformational(status: number, headers: Record<string, string>): void {
    const stream = this.#response.stream
    if (this.#response.headersSent || stream.destroyed || stream.headersSent) return
    stream.additionalHeaders({ ':status': status, ...headers })
  }

  prepareForUnreadBody(_headers: OutgoingHttpHeaders, progress: UnreadBodyProgress): void {
    // RFC 9113 §8.1: a server that answered before the request ended may ask the client to stop
    // sending with RST_STREAM(NO_ERROR) "after sending a complete response (i.e., a frame with the
    // END_STREAM flag set)". It ends the one stream, never the connection. The reset waits until the
    // response's END_STREAM has really been written: a reset submitted earlier cut the answer (its
    // DATA, its END_STREAM), and node's own client then never closed the stream.
    // At shutdown there is no reset: the connection ends soon anyway, and a client that reads the answer and
    // the reset together while still sending may lose the answer (curl 7.88 does: exit 92, status 000). It
    // stops sending by itself once it has read the answer (curl cancels its stream); the shutdown bounds the
    // wait (Listener.endSessions).
    // Nor does the reset follow the answer at once: curl 7.88 reading both in one go takes the stream for closed
    // before its answer (exit 92, status 000, one time in three with a 4 MB body refused at once, h2c and TLS);
    // EARLY_ANSWER_RESET_DELAY_MS later it has read the answer, and it costs a client at most that much more body.
    // Until then the body is read and discarded as it comes, as HTTP/1.1's lingering close does: left unread it
    // stayed in memory, a whole stream window of it, for as long as the answer waited; and a client that keeps
    // its own window shut holds the answer back for the whole linger time (16 streams of 4 MiB per connection,
    // held 30 s). Discarding keeps the client sending until it reads its answer (curl and node's client read
    // the 4xx of an upload they are still sending), bounded like HTTP/1.1's: past `lingerMaxBytes` the stream
    // is reset at once (CANCEL: its answer may be cut), and the wait for the answer ends after `lingerTimeMs`.
    // Once the stream is reset nothing more arrives; node frees it only once its readable side has ended,
    // that is once every byte the client sent is read.
    const stream = this.#request.stream
    let discarded = 0
    const discard = (): void => {
      for (let chunk = stream.read() as Buffer | null; chunk !== null; chunk = stream.read() as Buffer | null) {
        discarded += chunk.length
        if (discarded > this.#unreadBody.lingerMaxBytes && !stream.closed) stream.close(constants.NGHTTP2_CANCEL)
      }
    }
    stream.on('readable', discard)
    discard()
    const askToStop = (): void => {
      if (!progress.shuttingDown && !stream.closed && !this.requestEnded()) stream.close(constants.NGHTTP2_NO_ERROR)
    }
    stream.once('finish', () =>
      whenResponseSent(stream, this.#unreadBody.lingerTimeMs, () => {
        const timer = setTimeout(askToStop, EARLY_ANSWER_RESET_DELAY_MS)
        stream.once('close', () => clearTimeout(timer))
      }),
    )
  }

  onClientGone(listener: () => void): void {
    // The compat response cannot tell: it never closes for a HEAD reset before its answer, and it reports
    // any other finished once reset (node ends the writable side of an aborted stream). The stream's own
    // 'close' always comes; the response was whole only if it had been ended (issue 10, item 1: the
    // waiters of reset streams stayed in the lock queue, and writing their answers made errors with
    // stack traces, which cost more CPU than the requests themselves).
    this.#request.stream.once('close', () => {
      if (!this.#response.writableEnded) listener()
    })
  }
}
