import type { OutgoingHttpHeaders } from 'node:http'
import type { RequestContext } from '../core/commands.js'
import type { Exchange } from '../transport/exchange.js'
import type { ProtocolResponse } from './response.js'
import type { Target } from './target.js'

/** What a codec answers for an error, and the name the request log gives it. */
export interface ErrorAnswer {
  readonly response: ProtocolResponse
  readonly error: string
}

/**
 * One protocol on the shared endpoint: it claims the requests that speak it, turns them into core
 * commands, and core results and errors into its answers. The router asks the codecs in order and knows
 * no protocol by name.
 */
export interface Codec {
  /** The protocol's name in request facts and logs (`tus-v1`, `ietf-draft`). */
  readonly protocol: string
  /** Which version of the protocol a request speaks, for metrics (the draft's interop version); absent when the protocol has one. */
  versionOf?(exchange: Exchange): string
  /** True when the request speaks this protocol (`method` is the effective one, after X-HTTP-Method-Override). */
  claims(exchange: Exchange, method: string): boolean
  /**
   * Serves one request. `target` is what the path names (undefined: nothing of ours). Throws what
   * `errorResponse` turns into answers; anything else is answered with a bare 500 and logged.
   */
  handle(exchange: Exchange, method: string, target: Target | undefined, context: RequestContext): Promise<ProtocolResponse>
  /** The answer to an error `handle` threw, or undefined for an error it does not know. */
  errorResponse(error: unknown, exchange: Exchange, method: string, target: Target | undefined): ErrorAnswer | undefined
  /** The bare answer to an unknown error, in the protocol's form (no internal text). */
  internalErrorResponse(exchange: Exchange): ProtocolResponse
  /** What `OPTIONS` answers for this protocol (tus discovery, draft `Upload-Limit`). */
  discoveryHeaders(exchange: Exchange): OutgoingHttpHeaders
  /** Headers every response of the endpoint carries, whichever protocol serves it (tus: `Tus-Resumable`, T-05). */
  readonly commonHeaders: OutgoingHttpHeaders
}
