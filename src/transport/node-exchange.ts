import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { ClientGone, ShutdownRequested } from '../model/stop-reasons.js'
import { MinBodyRate, type MinBodyRateOptions } from './body-rate.js'
import { stopWhenStalled } from './stalled-response.js'
import type { Exchange, ResponseBody } from './exchange.js'
import type { Wire, WireRequest, WireResponse } from './wire.js'

/**
 * An Exchange over node's compat request/response pair, the same for HTTP/1.1 and HTTP/2;
 * what differs between the two lives in the Wire.
 */
export class NodeExchange implements Exchange {
  readonly method: string
  readonly path: string
  readonly uri: string
  readonly headers: IncomingHttpHeaders
  readonly #rawHeaders: readonly string[]
  readonly #request: WireRequest
  readonly #response: WireResponse
  readonly #wire: Wire
  readonly #abort = new AbortController()
  #continueRequested: boolean
  #responded = false
  /** The response can no longer be sent: the connection or stream is gone, or the response is done. */
  #closed = false
  #bytesReceived = 0
  /** Aborts the exchange with BodyTooSlow when its body arrives slower than the minimum rate. */
  readonly #rate: MinBodyRate | undefined
  readonly #stalledResponseMs: number

  /**
   * `minBodyRate`: a body that averages less than this (only while waiting for the client) is stopped
   * through the exchange's signal, whose reason is then a BodyTooSlow; off when absent or 0.
   * `stalledResponseMs`: a streamed response the client takes nothing of for this long is cut short (see
   * stopWhenStalled); off when absent or 0.
   */
  constructor(
    request: WireRequest,
    response: WireResponse,
    wire: Wire,
    options: { expectsContinue: boolean; minBodyRate?: MinBodyRateOptions; stalledResponseMs?: number },
  ) {
    this.#request = request
    this.#response = response
    this.#wire = wire
    this.#continueRequested = options.expectsContinue
    this.#stalledResponseMs = options.stalledResponseMs ?? 0
    const minBodyRate = options.minBodyRate
    this.#rate = minBodyRate !== undefined && minBodyRate.bytesPerSecond > 0 ? new MinBodyRate(minBodyRate, (tooSlow) => this.#abort.abort(tooSlow)) : undefined
    this.method = request.method ?? 'GET'
    // RFC 9112 §3.2.2: a server MUST accept the absolute form (`OPTIONS http://host/files/`); only its path counts here.
    const url = (request.url ?? '/').replace(/^https?:\/\/[^/?#]*/i, '') || '/'
    const query = url.indexOf('?')
    this.path = query === -1 ? url : url.slice(0, query)
    this.uri = url
    this.headers = withoutPseudoHeaders(request.headers)
    this.#rawHeaders = request.rawHeaders
    response.once('close', () => {
      this.#closed = true
      this.#rate?.done()
    })
    wire.onClientGone(() => {
      this.#closed = true
      this.#abort.abort(new ClientGone())
    })
  }

  /** Copied only when asked for (a hook payload): most requests never need it. */
  get rawHeaders(): readonly string[] {
    const lines: string[] = []
    for (let index = 0; index + 1 < this.#rawHeaders.length; index += 2) {
      const name = this.#rawHeaders[index] as string
      if (!name.startsWith(':')) lines.push(name, this.#rawHeaders[index + 1] as string)
    }
    return lines
  }

  get httpVersion(): '1.1' | '2' {
    return this.#wire.httpVersion
  }

  get scheme(): 'http' | 'https' {
    return this.#wire.scheme
  }

  get authority(): string | undefined {
    return this.#wire.authority
  }

  get remoteAddress(): string | undefined {
    return this.#wire.remoteAddress
  }

  get remotePort(): number | undefined {
    return this.#wire.remotePort
  }

  get signal(): AbortSignal {
    return this.#abort.signal
  }

  get responded(): boolean {
    return this.#responded
  }

  get hasBody(): boolean {
    return this.#wire.requestHasBody()
  }

  get body(): AsyncIterable<Uint8Array> {
    return this.#counted()
  }

  /** Request body bytes read so far (for the request log). */
  get bytesReceived(): number {
    return this.#bytesReceived
  }

  async *#counted(): AsyncGenerator<Uint8Array> {
    // RFC 9110 §10.1.1: 100 (Continue) only once the body is really wanted, at the first read, not when a
    // codec merely takes hold of the body: a request refused before that never has to send it.
    if (this.#continueRequested) {
      this.#continueRequested = false
      if (!this.#responded) this.#response.writeContinue()
    }
    // Only the time spent waiting for the client counts toward its rate, not the time the consumer
    // takes with a chunk.
    this.#rate?.waiting()
    for await (const chunk of this.#wire.requestBody()) {
      this.#rate?.received(chunk.byteLength)
      this.#bytesReceived += chunk.byteLength
      yield chunk
      this.#rate?.waiting()
    }
    this.#rate?.done()
  }

  /** Aborts the exchange's signal (used by the gateway on shutdown). */
  abort(reason: Error): void {
    this.#abort.abort(reason)
  }

  /**
   * Ends an exchange its handler failed on, so that no request is left unanswered: a bare 500 when no response
   * was started; otherwise a response not yet ended is cut short (HTTP/1.1 closes the connection, HTTP/2 resets
   * the stream), so the client learns it is incomplete instead of waiting for the rest. Never throws.
   */
  async fail(): Promise<void> {
    if (!this.#responded) {
      await this.respond(500, { 'content-length': '0' }).catch(() => this.#response.destroy())
      return
    }
    if (!this.#response.writableEnded) this.#response.destroy(new Error('the response failed'))
  }

  trailers(): Record<string, string> {
    const result: Record<string, string> = {}
    for (const [name, value] of Object.entries(this.#request.trailers ?? {})) {
      if (value !== undefined) result[name] = Array.isArray(value) ? value.join(', ') : value
    }
    return result
  }

  sendInformational(status: number, headers: Record<string, string>): void {
    if (this.#responded) return
    this.#wire.sendInformational(status, headers)
  }

  async respond(status: number, headers: OutgoingHttpHeaders, body?: ResponseBody): Promise<void> {
    if (this.#responded) return
    this.#responded = true
    this.#rate?.done()
    const response = this.#response
    if (this.#closed) {
      // Nobody to answer; a file opened for the answer must still be closed.
      if (body instanceof Readable) body.destroy()
      return
    }
    const finished = new Promise<void>((resolve) => {
      response.once('close', resolve)
      response.once('finish', resolve)
    })
    // A client that asked for 100-continue and was answered without it must not send its body; one
    // that sends it anyway is stopped after the answer rather than read to the end (see the wires).
    if (!this.#wire.requestEnded()) {
      this.#wire.prepareForUnreadBody(headers, {
        bytesRead: this.#bytesReceived,
        continueWithheld: this.#continueRequested,
        shuttingDown: this.#abort.signal.reason instanceof ShutdownRequested,
      })
    }
    if (body instanceof Readable) {
      this.#wire.writeHead(status, headers)
      // A failed or stalled body cuts the response short: HTTP/1.1 closes the connection, HTTP/2 resets the stream.
      const watching = stopWhenStalled(body, this.#stalledResponseMs)
      await pipeline(body, response).catch(() => response.destroy())
      watching()
    } else {
      if (body !== undefined) headers['content-length'] = Buffer.byteLength(body)
      // An empty answer says so, rather than going chunked (HEAD and 204/304 carry no length of their own).
      else if (this.method !== 'HEAD' && status !== 204 && status !== 304 && headers['content-length'] === undefined) {
        headers['content-length'] = 0
      }
      this.#wire.writeHead(status, headers)
      response.end(body)
    }
    await finished
  }
}

function withoutPseudoHeaders(headers: Record<string, string | string[] | undefined>): IncomingHttpHeaders {
  const result: IncomingHttpHeaders = {}
  for (const [name, value] of Object.entries(headers)) {
    if (!name.startsWith(':')) result[name] = value as string
  }
  return result
}
