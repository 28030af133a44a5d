import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'

/** A request as the proxy saw it. */
export interface SeenRequest {
  readonly method: string
  /** Path and query, e.g. `/bucket/key?partNumber=3&uploadId=...`. */
  readonly url: string
  readonly headers: IncomingMessage['headers']
}

/**
 * What the proxy does instead of forwarding at once: answer with a status (an S3 error body), hang (never
 * answer), reset the connection, or forward after a delay.
 */
export type Fault = { readonly status: number; readonly code?: string } | { readonly delayMs: number } | 'hang' | 'reset'

/**
 * An HTTP proxy in front of an S3 server, for tests of failures S3 itself will not produce on demand:
 * a 500 for one part, a server that stops answering. Every request is forwarded as it is (SigV4 signs the
 * `Host` header, which the proxy keeps, so signatures still match) unless `fault` returns what to do instead.
 */
export class FaultProxy {
  /** Every request that reached the proxy, in order. */
  readonly seen: SeenRequest[] = []
  /** Decides each request's fate; undefined forwards it. */
  fault: (request: SeenRequest) => Fault | undefined = () => undefined
  readonly #server: Server
  readonly #target: URL
  readonly #sockets = new Set<Socket>()

  private constructor(target: string) {
    this.#target = new URL(target)
    this.#server = createServer((req, res) => this.#handle(req, res))
    this.#server.on('connection', (socket) => {
      this.#sockets.add(socket)
      socket.once('close', () => this.#sockets.delete(socket))
    })
  }

  /** Starts a proxy to `target` (e.g. `http://127.0.0.1:7480`) on a free loopback port. */
  static async start(target: string): Promise<FaultProxy> {
    const proxy = new FaultProxy(target)
    await new Promise<void>((resolve) => proxy.#server.listen(0, '127.0.0.1', resolve))
    return proxy
  }

  /** `http://127.0.0.1:<port>`. */
  get endpoint(): string {
    return `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`
  }

  /** Requests seen whose method is `method` and whose URL matches `pattern`. */
  count(method: string, pattern: RegExp): number {
    return this.seen.filter((seen) => seen.method === method && pattern.test(seen.url)).length
  }

  async close(): Promise<void> {
    for (const socket of this.#sockets) socket.destroy()
    await new Promise<void>((resolve) => this.#server.close(() => resolve()))
  }

  #handle(req: IncomingMessage, res: ServerResponse): void {
    const seen = { method: req.method ?? 'GET', url: req.url ?? '/', headers: req.headers }
    this.seen.push(seen)
    const fault = this.fault(seen)
    if (fault === 'hang') return
    if (fault === 'reset') {
      req.socket.destroy()
      return
    }
    if (fault !== undefined && 'delayMs' in fault) {
      req.pause()
      setTimeout(() => this.#forward(req, res), fault.delayMs)
      return
    }
    if (fault !== undefined) {
      // Read the body first: a client still sending would see a reset instead of the answer.
      req.resume()
      req.once('end', () => {
        const code = fault.code ?? 'InternalError'
        res.writeHead(fault.status, { 'content-type': 'application/xml' })
        res.end(`<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>injected by the test</Message></Error>`)
      })
      return
    }
    this.#forward(req, res)
  }

  #forward(req: IncomingMessage, res: ServerResponse): void {
    const upstream = httpRequest(
      { host: this.#target.hostname, port: this.#target.port, method: req.method, path: req.url, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers)
        answer.pipe(res)
      },
    )
    upstream.on('error', () => req.socket.destroy())
    req.pipe(upstream)
  }
}
