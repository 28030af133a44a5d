import type { OutgoingHttpHeaders } from 'node:http'
import { Readable } from 'node:stream'
import { request, type Dispatcher } from 'undici'
import { GuardedBody, type BodyStop } from '../core/body/guarded-body.js'
import { eitherSignal } from '../model/either-signal.js'
import { answerHeaders, connectionOptions, HOP_BY_HOP } from '../protocol/http/upload-target.js'
import type { Exchange } from '../transport/exchange.js'
import { forwardingHeaders, withoutForwarding } from './forwarding.js'
import { isTimeout, isUnreachable, responseHeaders } from './undici-errors.js'
import { GatewayPath, OutsidePrefix, upstreamUrl, type UpstreamOptions } from './upstream-options.js'

/** What the proxy did with a request, for the request log. */
export interface ProxyOutcome {
  readonly status: number
  /** Why the gateway answered itself (`UPSTREAM_UNREACHABLE`, `UPSTREAM_TIMEOUT`, `NETWORK_TIMEOUT`, ...), when it did. */
  readonly error?: string
}

/**
 * Passes a request that is not a resumable upload on to the application unchanged (upstream mode), streaming
 * both ways: same method, path, query, end-to-end headers and body, plus the forwarding headers; the
 * application's status, end-to-end headers and body come back as they are. `extraHeaders` may add fields to
 * the answer (the draft's `Upload-Limit` on `OPTIONS`). Its informational answers (`103 Early Hints`, `102`) go on
 * before it, but for `100` and `101`, which are per hop. An application that cannot be reached is a 502, one
 * that stays silent past the timeout a 504; nothing is retried (the request may not be idempotent). A target
 * whose dot segments leave the application's path prefix, or resolve to one of the gateway's own paths
 * (`gatewayPath`: `/x/../metrics`), is refused with 400: the application never sees it.
 * A shutdown lets a request finish until `closing` aborts (the shutdown timeout); then one not yet answered gets
 * 503, one whose answer is under way is cut.
 */
export class UpstreamProxy {
  readonly #options: UpstreamOptions
  readonly #dispatcher: Dispatcher
  /** Stops every request under way: the shutdown timeout has passed. */
  readonly #closing: AbortSignal
  readonly #gatewayPath: (path: string) => boolean
  readonly #extraHeaders: (exchange: Exchange) => OutgoingHttpHeaders

  constructor(
    options: UpstreamOptions,
    dispatcher: Dispatcher,
    closing: AbortSignal,
    gatewayPath: (path: string) => boolean,
    extraHeaders: (exchange: Exchange) => OutgoingHttpHeaders = () => ({}),
  ) {
    this.#options = options
    this.#dispatcher = dispatcher
    this.#closing = closing
    this.#gatewayPath = gatewayPath
    this.#extraHeaders = extraHeaders
  }

  /** Sends the request on and its answer back; never throws (a failure is answered and reported). */
  async serve(exchange: Exchange): Promise<ProxyOutcome> {
    const { timeoutMs, bodyIdleTimeoutMs, trustForwarded, url, logger } = this.#options
    const named = connectionOptions(exchange.headers.connection)
    const headers: Record<string, string> = {}
    for (const [name, value] of Object.entries(withoutForwarding(exchange.headers))) {
      if (value === undefined || HOP_BY_HOP.has(name) || named.has(name)) continue
      headers[name] = Array.isArray(value) ? value.join(', ') : value
    }
    // A body without a length (HTTP/1.1 chunked, HTTP/2 without Content-Length) goes on chunked.
    const { hasBody } = exchange
    const length = exchange.headers['content-length']
    if (hasBody && length !== undefined) headers['content-length'] = length
    const origin = { scheme: exchange.scheme, host: exchange.authority, remoteAddress: exchange.remoteAddress }
    // Aborted with the BodyStop of a body that stopped before its end (it stalled past --network-timeout).
    const bodyStopped = new AbortController()
    const body = hasBody ? new GuardedBody(exchange.body, { signal: exchange.signal, idleTimeoutMs: bodyIdleTimeoutMs }) : undefined
    // The request to the application stops with the client, with a body that stopped, and at the shutdown timeout.
    const aborts = eitherSignal(exchange.signal, bodyStopped.signal, this.#closing)
    let informational = 0
    try {
      const response = await request(upstreamUrl(url, exchange.uri, this.#gatewayPath), {
        dispatcher: this.#dispatcher,
        method: exchange.method as Dispatcher.HttpMethod,
        headers: { ...headers, ...forwardingHeaders(exchange.headers, origin, trustForwarded) },
        body: body === undefined ? undefined : Readable.from(whole(body, bodyStopped), { objectMode: false }),
        signal: aborts.signal,
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
        onInfo: ({ statusCode, headers: fields }) => {
          // RFC 9110 §15.2: "A proxy MUST forward 1xx responses unless the proxy itself requested the generation
          // of the 1xx response". 100 answers an Expect of the gateway's own hop (undici sends none), and 101 an
          // upgrade, which is never passed on: both are per hop.
          if (statusCode === 100 || statusCode === 101) return
          // Written without waiting for the client to take them: an application sending them without end is cut off.
          if (++informational > MAX_INFORMATIONAL) return
          exchange.sendInformational(statusCode, informationalHeaders(fields))
        },
      })
      const answer = answerHeaders(responseHeaders(response.headers))
      await exchange.respond(response.statusCode, { ...answer, ...this.#extraHeaders(exchange) }, response.body)
      // An answer still streaming when the shutdown timeout passed was cut.
      return this.#closing.aborted ? { status: response.statusCode, error: 'SHUTTING_DOWN' } : { status: response.statusCode }
    } catch (error) {
      if (error instanceof OutsidePrefix) {
        await exchange.respond(400, { 'content-type': 'text/plain; charset=utf-8' }, `the path lies outside the application's path prefix ${error.prefix}\n`)
        return { status: 400, error: 'OUTSIDE_UPSTREAM_PREFIX' }
      }
      if (error instanceof GatewayPath) {
        // A spelling of a path of the gateway is neither the gateway's request (it answers its paths only as spelled) nor the application's.
        const detail = "the path resolves to the gateway's own path (the upload collection, the metrics or the demo page), which the application never gets; send it without dot segments"
        await exchange.respond(400, { 'content-type': 'text/plain; charset=utf-8' }, `${detail}\n`)
        return { status: 400, error: 'GATEWAY_PATH' }
      }
      if (this.#closing.aborted) {
        // As an upload stopped by a shutdown (the statuses table): 503, to try again on another gateway or later.
        await exchange.respond(503, { 'content-type': 'text/plain; charset=utf-8', 'retry-after': '5' }, 'the gateway is shutting down\n')
        return { status: 503, error: 'SHUTTING_DOWN' }
      }
      if (exchange.signal.aborted) return { status: 499, error: 'CLIENT_GONE' }
      const stop = bodyStopped.signal.reason as BodyStop | undefined
      if (stop?.kind === 'idle') {
        // As an upload body that stalls (the statuses table): 500, a 5xx the client may retry.
        await exchange.respond(500, { 'content-type': 'text/plain; charset=utf-8' }, `the request body sent nothing for ${stop.idleMs} ms; the request to the application was aborted\n`)
        return { status: 500, error: 'NETWORK_TIMEOUT' }
      }
      const timeout = isTimeout(error)
      if (!timeout && !isUnreachable(error)) logger.warn({ err: error, path: exchange.path }, 'proxying to the application failed')
      const status = timeout ? 504 : 502
      const message = timeout ? 'the application did not answer in time' : 'the application could not be reached'
      await exchange.respond(status, { 'content-type': 'text/plain; charset=utf-8' }, `${message}\n`)
      return { status, error: timeout ? 'UPSTREAM_TIMEOUT' : 'UPSTREAM_UNREACHABLE' }
    } finally {
      aborts.unlink()
    }
  }
}

/** Most informational answers of the application passed on for one request (a 102 or two, a 103: a handful). */
const MAX_INFORMATIONAL = 16

/** An informational answer's end-to-end fields, for `sendInformational`: repeated ones joined as a list (RFC 9110 §5.3). */
function informationalHeaders(fields: Record<string, string | string[] | undefined>): Record<string, string> {
  const joined: Record<string, string> = {}
  for (const [name, value] of Object.entries(answerHeaders(responseHeaders(fields)))) {
    if (name !== 'content-length') joined[name] = Array.isArray(value) ? value.join(', ') : value
  }
  return joined
}

/**
 * A guarded body's bytes; when it stops before its end, `stopped` is aborted with why and the stream fails, so
 * that the request to the application is aborted rather than ended: a shorter body must never look whole.
 */
async function* whole(body: GuardedBody, stopped: AbortController): AsyncGenerator<Uint8Array> {
  yield* body
  const stop = body.stop
  if (stop === undefined) return
  stopped.abort(stop)
  throw new Error(`the request body stopped before its end (${stop.kind})`)
}
