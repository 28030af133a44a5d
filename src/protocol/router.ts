import type { OutgoingHttpHeaders } from 'node:http'
import type { Logger } from 'pino'
import { descriptorShortage } from '../model/descriptor-shortage.js'
import { isCoreError, LockerUnavailable, ShuttingDown, StorageFull, StoreUnavailable, TooManyOpenFiles } from '../model/errors.js'
import { ClientGone } from '../model/stop-reasons.js'
import type { Exchange } from '../transport/exchange.js'
import type { Codec, ErrorAnswer } from './codec.js'
import { RequestRejected } from './header-error.js'
import { addCorsHeaders, type CorsOptions } from './http/cors.js'
import { effectiveMethod } from './method-override.js'
import { requestInfoOf } from './request-info.js'
import { textResponse, type ProtocolResponse } from './response.js'
import { resolveTarget, type Target } from './target.js'

export interface RouterOptions {
  /** Always starts and ends with `/`. */
  readonly basePath: string
  /** Whether a path segment can name an upload (the store's rule). */
  readonly isValidId: (id: string) => boolean
  readonly cors: CorsOptions
  readonly logger: Logger
}

/** What the router did with a request, for the request log. */
export interface RouteOutcome {
  readonly status: number
  readonly method: string
  readonly protocol: string
  /** The version of the protocol the request speaks, when the protocol has several (the draft's interop version). */
  readonly version?: string
  readonly uploadId?: string
  /** Why the request failed, when it did (a core error code, `HEADER`, `REJECTED` or `INTERNAL`). */
  readonly error?: string
}

/**
 * Picks the codec for each request (the first that claims it), runs it, and sends the answer with the
 * headers every response carries. Errors become responses here: through the codec, or, when it does not
 * know them, a bare 500 whose cause goes to the log only. It knows no protocol by name.
 */
export class Router {
  readonly #codecs: readonly Codec[]
  readonly #options: RouterOptions
  readonly #commonHeaders: OutgoingHttpHeaders

  /** `codecs` in the order they are asked; the last one should claim every request. */
  constructor(codecs: readonly Codec[], options: RouterOptions) {
    if (codecs.length === 0) throw new TypeError('a router needs at least one codec')
    this.#codecs = codecs
    this.#options = options
    this.#commonHeaders = Object.assign({}, ...codecs.map((codec) => codec.commonHeaders), { 'x-content-type-options': 'nosniff' })
  }

  async route(exchange: Exchange, requestId?: string): Promise<RouteOutcome> {
    const method = effectiveMethod(exchange)
    const codec = this.#codecFor(exchange, method)
    let target: Target | undefined
    let response: ProtocolResponse
    let error: string | undefined
    try {
      target = resolveTarget(exchange.path, this.#options.basePath, this.#options.isValidId)
      rejectUnknownTransferCodings(exchange)
      if (method === 'OPTIONS') response = this.#discovery(exchange, target)
      else {
        const context = { signal: exchange.signal, request: requestInfoOf(exchange, codec.protocol, method, requestId) }
        response = await codec.handle(exchange, method, target, context)
      }
    } catch (thrown) {
      ;({ response, error } = this.#errorAnswer(codec, thrown, exchange, method, target))
    }
    await this.#send(exchange, response)
    const uploadId = target?.kind === 'upload' ? target.id : createdUploadId(response, this.#options.basePath)
    return { status: response.status, method, protocol: codec.protocol, version: codec.versionOf?.(exchange), uploadId, error }
  }

  /** Answers a request that arrives while the gateway shuts down. */
  async refuse(exchange: Exchange): Promise<RouteOutcome> {
    const codec = this.#codecFor(exchange, exchange.method)
    const response = codec.errorResponse(new ShuttingDown(), exchange, exchange.method, undefined)?.response ?? textResponse(503, 'the server is shutting down')
    await this.#send(exchange, { ...response, headers: { ...response.headers, connection: 'close' } })
    return { status: response.status, method: exchange.method, protocol: codec.protocol, version: codec.versionOf?.(exchange), error: 'SHUTTING_DOWN' }
  }

  #codecFor(exchange: Exchange, method: string): Codec {
    return this.#codecs.find((codec) => codec.claims(exchange, method)) ?? (this.#codecs.at(-1) as Codec)
  }

  /**
   * OPTIONS is answered for everyone, whatever protocol the request speaks (tus discovery, CORS preflight,
   * `OPTIONS *` about the server as a whole: every upload here has the same limits). 200 rather than 204:
   * some browsers reject a 204 answer to a CORS preflight (as tusd).
   */
  #discovery(exchange: Exchange, target: Target | undefined): ProtocolResponse {
    if (target === undefined && exchange.path !== '*') return textResponse(404, `no upload at ${exchange.path.slice(0, 200)}`)
    const headers: OutgoingHttpHeaders = Object.assign({}, ...this.#codecs.map((codec) => codec.discoveryHeaders(exchange)))
    return { status: 200, headers: { ...headers, 'content-length': '0' } }
  }

  #errorAnswer(codec: Codec, error: unknown, exchange: Exchange, method: string, target: Target | undefined): ErrorAnswer {
    const thrown = descriptorShortage(error) ?? error
    const known = codec.errorResponse(thrown, exchange, method, target)
    if (known !== undefined) {
      // The client hears the fact; the operator needs its cause too (S3 or Redis unreachable, a full disk, EMFILE).
      // A codec may have wrapped the fact to shape its answer (tus: a creation that failed after creating).
      const fact = thrown instanceof Error && !isCoreError(thrown) ? thrown.cause : thrown
      if ((fact instanceof StoreUnavailable || fact instanceof StorageFull || fact instanceof TooManyOpenFiles) && fact.cause !== undefined) {
        this.#options.logger.warn({ err: fact.cause, error: fact.code, method: exchange.method, path: exchange.path }, 'storage failed')
      }
      if (fact instanceof LockerUnavailable && fact.cause !== undefined) {
        this.#options.logger.warn({ err: fact.cause, error: fact.code, method: exchange.method, path: exchange.path }, 'locking failed')
      }
      return known
    }
    if (exchange.signal.reason instanceof ClientGone) {
      // Nobody is left to answer; the log says what happened.
      return { response: textResponse(499, 'client closed the request'), error: 'CLIENT_GONE' }
    }
    this.#options.logger.error({ err: thrown, method: exchange.method, path: exchange.path }, 'internal error')
    return { response: codec.internalErrorResponse(exchange), error: 'INTERNAL' }
  }

  async #send(exchange: Exchange, response: ProtocolResponse): Promise<void> {
    const headers: OutgoingHttpHeaders = { ...response.headers, ...this.#commonHeaders }
    addCorsHeaders(exchange, headers, this.#options.cors)
    await exchange.respond(response.status, headers, response.body)
  }
}

/** The id of an upload a response just created (from its Location), for the request log. */
function createdUploadId(response: ProtocolResponse, basePath: string): string | undefined {
  const location = response.headers.location
  if (typeof location !== 'string') return undefined
  const path = location.replace(/^[a-z]+:\/\/[^/]*/i, '')
  // The gateway made this Location itself: whatever follows the base path is the id.
  return path.startsWith(basePath) && path.length > basePath.length ? path.slice(basePath.length) : undefined
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
