import type { OutgoingHttpHeaders } from 'node:http'
import { Agent } from 'undici'
import type { UploadDelivery } from '../core/delivery.js'
import { isDraftCreation } from '../protocol/ietf-draft/draft-codec.js'
import { effectiveMethod } from '../protocol/method-override.js'
import { ShutdownRequested } from '../model/stop-reasons.js'
import type { Exchange } from '../transport/exchange.js'
import { HttpDelivery } from './http-delivery.js'
import { UpstreamProxy, type ProxyOutcome } from './proxy.js'
import { GatewayPath, OutsidePrefix, upstreamUrl, type UpstreamOptions } from './upstream-options.js'

/**
 * Upstream mode: the gateway in front of an application. Every path outside the upload collection (and the
 * paths `ownPath` keeps, such as the demo page and the metrics) is the application's: a resumable upload creation
 * there (the draft's, or a tus `POST`) is served by the codecs and delivered to the application once complete
 * (`delivery`); any other request is passed on unchanged (`serve`). One connection pool serves both. A path is the
 * application's only if it is so both as spelled and as resolved (the path the application would get): one whose
 * dot segments resolve to a path of the gateway (`/x/../metrics`) is refused (400), never passed on or delivered.
 */
export class Upstream {
  readonly delivery: UploadDelivery
  readonly #agent: Agent
  readonly #proxy: UpstreamProxy
  readonly #closing = new AbortController()
  /** The requests being passed on, until their answer is sent or cut. */
  readonly #passing = new Map<Exchange, Promise<ProxyOutcome>>()
  readonly #basePath: string
  readonly #url: URL
  readonly #ownPath: (path: string) => boolean

  /**
   * `basePath`: the upload collection; `ownPath`: further paths the gateway answers itself; `optionsHeaders`:
   * fields added to the application's answer to `OPTIONS` (the draft's `Upload-Limit`, "per upstream").
   */
  constructor(options: UpstreamOptions, basePath: string, ownPath: (path: string) => boolean, optionsHeaders: (exchange: Exchange) => OutgoingHttpHeaders) {
    this.#basePath = basePath
    this.#url = options.url
    this.#ownPath = ownPath
    this.#agent = new Agent({ connect: { timeout: options.timeoutMs }, headersTimeout: options.timeoutMs, bodyTimeout: options.timeoutMs })
    this.delivery = new HttpDelivery(options, this.#agent, this.#closing.signal)
    this.#proxy = new UpstreamProxy(options, this.#agent, this.#closing.signal, this.#gatewayPath, (exchange) =>
      // The draft: an OPTIONS without Upload-Complete learns the limits of a resource that takes resumable uploads.
      exchange.method === 'OPTIONS' && exchange.headers['upload-complete'] === undefined ? optionsHeaders(exchange) : {},
    )
  }

  /**
   * True for a path of the application: outside the upload collection and the gateway's own paths, as spelled
   * and once resolved as the application would resolve it.
   */
  isApplicationPath(exchange: Exchange): boolean {
    return !this.#gatewayPath(exchange.path) && reachable(this.#url, exchange.uri, this.#gatewayPath)
  }

  /**
   * True for a request to pass on: an application path, and not a resumable upload creation. A request whose
   * target leaves the application's path prefix, or resolves to one of the gateway's paths, is claimed whatever it
   * is, for the proxy to refuse it (400): an upload created there would be delivered where it must not go.
   */
  claims(exchange: Exchange): boolean {
    if (this.#gatewayPath(exchange.path)) return false
    if (!reachable(this.#url, exchange.uri, this.#gatewayPath)) return true
    const method = effectiveMethod(exchange)
    const tusCreation = method === 'POST' && exchange.headers['tus-resumable'] !== undefined
    return !tusCreation && !isDraftCreation(exchange, method)
  }

  /** True for a path the gateway answers itself: `*`, the upload collection and what `ownPath` keeps. */
  readonly #gatewayPath = (path: string): boolean =>
    path === '*' || path.startsWith(this.#basePath) || `${path}/` === this.#basePath || this.#ownPath(path)

  /** Passes a claimed request on to the application and its answer back. */
  serve(exchange: Exchange): Promise<ProxyOutcome> {
    const served = this.#proxy.serve(exchange).finally(() => this.#passing.delete(exchange))
    this.#passing.set(exchange, served)
    return served
  }

  /**
   * True while a request is being passed on: a shutdown lets it finish, as it lets deliveries finish, rather
   * than asking it to stop at once as it asks uploads (which keep their bytes; a request passed on keeps nothing).
   */
  passesOn(exchange: Exchange): boolean {
    return this.#passing.has(exchange)
  }

  /**
   * Stops deliveries under way (their uploads keep waiting for delivery) and requests being passed on (503 when
   * not answered yet), waits until their answers are sent, and closes the connections.
   */
  async close(): Promise<void> {
    // The stop reason the core knows: a delivery stopped with it becomes ShuttingDown (503), not an internal error.
    this.#closing.abort(new ShutdownRequested())
    await Promise.allSettled(this.#passing.values())
    await this.#agent.destroy()
  }
}

/**
 * Whether a request target, once its dot segments are resolved, stays under the application's path prefix and
 * names none of the gateway's paths.
 */
function reachable(base: URL, uri: string, gatewayPath: (path: string) => boolean): boolean {
  try {
    upstreamUrl(base, uri, gatewayPath)
    return true
  } catch (error) {
    // A target the URL parser refuses outright is the proxy's to answer.
    return !(error instanceof OutsidePrefix || error instanceof GatewayPath)
  }
}
