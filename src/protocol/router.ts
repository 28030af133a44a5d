import type { OutgoingHttpHeaders } from 'node:http'
import type { Logger } from 'pino'
import { isCoreError, ShuttingDown } from '../model/errors.js'
import { ClientGone } from '../model/stop-reasons.js'
import type { Exchange } from '../transport/exchange.js'
import { HeaderError, RequestRejected } from './header-error.js'
import { DraftCodec } from './ietf-draft/draft-codec.js'
import { addCorsHeaders, type CorsOptions } from './http/cors.js'
import { headerValue } from './http/header-value.js'
import { effectiveMethod } from './method-override.js'
import { textResponse, type ProtocolResponse } from './response.js'
import { resolveTarget, type Target } from './target.js'
import { tusErrorResponse } from './tus-v1/error-response.js'
import { TUS_VERSION, type TusCodec } from './tus-v1/tus-codec.js'

export interface RouterOptions {
  /** Always starts and ends with `/`. */
  readonly basePath: string
  readonly cors: CorsOptions
  readonly logger: Logger
  /** The IETF draft codec, when the draft is enabled (`--experimental-protocol`); without it draft requests meet tus rules (412), as with tusd. */
  readonly draft?: DraftCodec
}

/** What the router did with a request, for the request log. */
export interface RouteOutcome {
  readonly status: number
  readonly method: string
  readonly uploadId?: string
  /** Why the request failed, when it did (a core error code, `HEADER`, `REJECTED` or `INTERNAL`). */
  readonly error?: string
}

/**
 * Picks the protocol for each request, runs its codec, and sends the answer with the headers every
 * response carries. Errors become responses here: facts through the codec, malformed input as 400,
 * anything unknown as a bare 500 whose cause goes to the log only.
 */
export class Router {
  readonly #tus: TusCodec
  readonly #options: RouterOptions

  constructor(tus: TusCodec, options: RouterOptions) {
    this.#tus = tus
    this.#options = options
  }

  async route(exchange: Exchange): Promise<RouteOutcome> {
    const method = effectiveMethod(exchange)
    const target = resolveTarget(exchange.path, this.#options.basePath)
    const uploadId = target?.kind === 'upload' ? target.id : undefined
    // NOTES.md §6.1: after the method override, OPTIONS is for everyone; a request carrying
    // Upload-Draft-Interop-Version speaks the draft; everything else is tus.
    const draft = method !== 'OPTIONS' && DraftCodec.isDraftRequest(exchange) ? this.#options.draft : undefined
    let response: ProtocolResponse
    let error: string | undefined
    try {
      rejectUnknownTransferCodings(exchange)
      response = draft === undefined ? await this.#dispatch(exchange, method, target) : await draft.handle(exchange, method, target)
    } catch (thrown) {
      ;({ response, error } = draft?.errorResponse(thrown, exchange, method, target) ?? this.#errorResponse(thrown, exchange, draft))
    }
    const headers: OutgoingHttpHeaders = {
      ...response.headers,
      // T-05: every response carries Tus-Resumable, OPTIONS responses included.
      'tus-resumable': TUS_VERSION,
      'x-content-type-options': 'nosniff',
    }
    addCorsHeaders(exchange, headers, this.#options.cors)
    await exchange.respond(response.status, headers, response.body)
    return { status: response.status, method, uploadId: uploadId ?? createdUploadId(response, this.#options.basePath), error }
  }

  /** Answers a request that arrives while the gateway shuts down. */
  async refuse(exchange: Exchange): Promise<RouteOutcome> {
    const response = tusErrorResponse(new ShuttingDown())
    await exchange.respond(response.status, { ...response.headers, connection: 'close', 'tus-resumable': TUS_VERSION }, response.body)
    return { status: response.status, method: exchange.method, error: 'SHUTTING_DOWN' }
  }

  async #dispatch(exchange: Exchange, method: string, target: Target | undefined): Promise<ProtocolResponse> {
    // T-23: OPTIONS is answered for everyone (tus discovery and CORS preflight); Tus-Resumable is ignored.
    // `OPTIONS *` asks about the server as a whole; every upload resource here has the same limits.
    if (method === 'OPTIONS' && (target !== undefined || exchange.path === '*')) {
      const options = this.#tus.options()
      const draft = this.#options.draft
      return draft === undefined ? options : { ...options, headers: { ...options.headers, ...draft.optionsHeaders(exchange) } }
    }
    if (target === undefined) return textResponse(404, `no upload at ${exchange.path.slice(0, 200)}`)
    const tusResumable = headerValue(exchange.headers, 'tus-resumable')
    if (tusResumable !== undefined) {
      // T-06: an unsupported version is refused with the versions we speak, and not processed.
      if (tusResumable.trim() !== TUS_VERSION) {
        return textResponse(412, `Tus-Resumable ${tusResumable.slice(0, 32)} is not supported; this server speaks ${TUS_VERSION}`, {
          'tus-version': TUS_VERSION,
        })
      }
      return this.#tus.handle(exchange, method, target)
    }
    // Downloads and status checks work without Tus-Resumable (as tusd), so browsers and curl can fetch files.
    if (method === 'GET' || method === 'HEAD') return this.#tus.handle(exchange, method, target)
    // A draft request reaching here means the draft is switched off: as tusd, 412, but saying why.
    const hint = DraftCodec.isDraftRequest(exchange)
      ? '; IETF draft requests (Upload-Draft-Interop-Version) need the gateway started with --experimental-protocol'
      : ''
    return textResponse(412, `Tus-Resumable: ${TUS_VERSION} is required${hint}`, { 'tus-version': TUS_VERSION })
  }

  #errorResponse(thrown: unknown, exchange: Exchange, draft?: DraftCodec): { response: ProtocolResponse; error: string } {
    if (isCoreError(thrown)) return { response: tusErrorResponse(thrown), error: thrown.code }
    if (thrown instanceof HeaderError) return { response: textResponse(400, thrown.message), error: 'HEADER' }
    if (thrown instanceof RequestRejected) {
      return { response: textResponse(thrown.status, thrown.message, thrown.headers), error: 'REJECTED' }
    }
    if (exchange.signal.reason instanceof ClientGone) {
      // Nobody is left to answer; the log says what happened.
      return { response: textResponse(499, 'client closed the request'), error: 'CLIENT_GONE' }
    }
    this.#options.logger.error({ err: thrown, method: exchange.method, path: exchange.path }, 'internal error')
    if (draft !== undefined) return { response: draft.internalErrorResponse(exchange), error: 'INTERNAL' }
    return { response: textResponse(500, 'Internal Server Error'), error: 'INTERNAL' }
  }
}

/** The id of an upload a response just created (from its Location), for the request log. */
function createdUploadId(response: ProtocolResponse, basePath: string): string | undefined {
  const location = response.headers.location
  if (typeof location !== 'string') return undefined
  const path = location.replace(/^[a-z]+:\/\/[^/]*/i, '')
  const target = resolveTarget(path, basePath)
  return target?.kind === 'upload' ? target.id : undefined
}

/**
 * RFC 9112 §6.3: a request whose last transfer coding is not `chunked` has no reliable length: 400.
 * §6.1: one with a transfer coding the server does not understand gets 501. Only `chunked` is decoded;
 * storing gzip-coded bytes as upload data would corrupt the upload.
 */
function rejectUnknownTransferCodings(exchange: Exchange): void {
  const value = exchange.headers['transfer-encoding']
  if (value === undefined) return
  const codings = value.toLowerCase().split(',').map((coding) => coding.trim())
  if (codings.length === 1 && codings[0] === 'chunked') return
  const shown = value.slice(0, 64)
  if (codings.at(-1) !== 'chunked') throw new RequestRejected(400, `Transfer-Encoding "${shown}" does not end with chunked`)
  throw new RequestRejected(501, `Transfer-Encoding "${shown}" is not supported; send the body plain or chunked`)
}
