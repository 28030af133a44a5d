import http from 'node:http'
import type { AddressInfo } from 'node:net'
import type { GatewayMetrics } from './metrics.js'

/** An answer to a scrape: the text exposition (no body for HEAD), never cached. */
export interface MetricsAnswer {
  readonly status: number
  readonly headers: Record<string, string>
  readonly body: string | undefined
}

/**
 * What a request to the metrics path answers: the metrics to GET and HEAD, 405 to any other method. The path is
 * the metrics' whatever the method, so that no method of it reaches anything else (an application behind the
 * gateway in upstream mode, an upload).
 */
export async function metricsAnswer(metrics: GatewayMetrics, method: string): Promise<MetricsAnswer> {
  if (method !== 'GET' && method !== 'HEAD') {
    return { status: 405, headers: { allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' }, body: 'the metrics take GET and HEAD only\n' }
  }
  const text = await metrics.text()
  const headers = { 'content-type': metrics.contentType, 'content-length': String(Buffer.byteLength(text)), 'cache-control': 'no-store' }
  return { status: 200, headers, body: method === 'HEAD' ? undefined : text }
}

/** The metrics' own listener (`metricsListen`) could not listen; `cause` is the system's error (`EADDRINUSE`, ...). */
export class MetricsListenFailed extends Error {
  constructor(readonly host: string, readonly port: number, options: { cause: unknown }) {
    super(`cannot serve the metrics on ${host}:${port}: ${options.cause instanceof Error ? options.cause.message : String(options.cause)}`, options)
  }
}

/**
 * The metrics on a port of their own (`--metrics-listen`), away from the uploads: a plain HTTP/1.1
 * server that answers a scrape of its path and 404 to anything else.
 */
export class MetricsServer {
  readonly #server: http.Server

  constructor(metrics: GatewayMetrics, path: string, onError: (error: unknown) => void) {
    this.#server = http.createServer((request, response) => {
      const requestPath = (request.url ?? '/').split('?')[0] ?? '/'
      const method = request.method ?? 'GET'
      if (requestPath !== path) {
        response.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end(`no metrics at ${requestPath.slice(0, 200)}; try ${path}\n`)
        return
      }
      metricsAnswer(metrics, method).then(
        (answer) => response.writeHead(answer.status, answer.headers).end(answer.body),
        (error: unknown) => {
          onError(error)
          response.writeHead(500).end()
        },
      )
    })
    // Idle scrapers' keep-alive connections must not hold a shutdown up.
    this.#server.keepAliveTimeout = 5_000
  }

  /** Starts listening; resolves with the bound address (the real port when 0 was asked). Throws `MetricsListenFailed`. */
  async listen(host: string, port: number): Promise<AddressInfo> {
    await new Promise<void>((resolve, reject) => {
      const onError = (error: Error): void => reject(new MetricsListenFailed(host, port, { cause: error }))
      this.#server.once('error', onError)
      this.#server.listen(port, host, () => {
        this.#server.off('error', onError)
        resolve()
      })
    })
    return this.#server.address() as AddressInfo
  }

  async close(): Promise<void> {
    this.#server.closeAllConnections()
    await new Promise<void>((resolve) => this.#server.close(() => resolve()))
  }
}
