import http, { type IncomingMessage, type ServerResponse } from 'node:http'
import http2, { type Http2ServerRequest, type Http2ServerResponse, type Http2Session } from 'node:http2'
import net, { type AddressInfo, type Socket } from 'node:net'
import type { SecureVersion } from 'node:tls'
import type { ExchangeHandler } from './exchange.js'
import { Http1Wire } from './http1-wire.js'
import { Http2Wire } from './http2-wire.js'
import { NodeExchange } from './node-exchange.js'
import { sniff } from './sniff.js'

export interface TlsOptions {
  readonly cert: string | Buffer
  readonly key: string | Buffer
  readonly minVersion: SecureVersion
}

export interface ListenerOptions {
  readonly host: string
  readonly port: number
  /** With TLS, the same port also takes TLS connections (ALPN h2 or http/1.1). */
  readonly tls?: TlsOptions
  /** Time a client has to send the request head. */
  readonly headersTimeoutMs: number
  /** Time an idle HTTP/1.1 keep-alive connection stays open. */
  readonly keepAliveTimeoutMs: number
  /** Largest request head, in bytes (larger heads get 431). */
  readonly maxHeaderSize: number
  /** Most concurrent streams one HTTP/2 connection may open. */
  readonly maxConcurrentStreams: number
  /** HTTP/2 flow-control windows, in bytes: per stream, and for the whole connection. */
  readonly streamWindowSize: number
  readonly connectionWindowSize: number
}

/** Called for each exchange, with the concrete object so the gateway can abort it on shutdown. */
export type ListenerHandler = (exchange: NodeExchange) => ReturnType<ExchangeHandler>

/**
 * One port for every HTTP: it looks at the first bytes of each connection and hands it to
 * HTTP/1.1, cleartext HTTP/2 with prior knowledge (h2c), or TLS (where ALPN picks h2 or http/1.1).
 */
export class Listener {
  readonly #options: ListenerOptions
  readonly #net: net.Server
  readonly #http1: http.Server
  readonly #h2c: http2.Http2Server
  readonly #tls: http2.Http2SecureServer | undefined
  readonly #sockets = new Set<Socket>()
  readonly #sessions = new Set<Http2Session>()

  constructor(handler: ListenerHandler, options: ListenerOptions) {
    this.#options = options
    const onHttp1 = (expectsContinue: boolean) => (request: IncomingMessage, response: ServerResponse) => {
      void handler(new NodeExchange(request, response, new Http1Wire(request, response), { expectsContinue }))
    }
    const onHttp2 = (expectsContinue: boolean) => (request: Http2ServerRequest, response: Http2ServerResponse) => {
      void handler(new NodeExchange(request, response, new Http2Wire(request, response), { expectsContinue }))
    }
    // TLS with allowHTTP1 hands both versions to the same listener.
    const onEither =
      (expectsContinue: boolean) =>
      (request: IncomingMessage | Http2ServerRequest, response: ServerResponse | Http2ServerResponse) =>
        request.httpVersionMajor === 2
          ? onHttp2(expectsContinue)(request as Http2ServerRequest, response as Http2ServerResponse)
          : onHttp1(expectsContinue)(request as IncomingMessage, response as ServerResponse)

    this.#http1 = http.createServer({
      // Long uploads are one request: node's 300 s request timeout would cut them. The body's
      // idle timeout (--network-timeout) guards against stalls instead; the head keeps its timeout.
      requestTimeout: 0,
      headersTimeout: options.headersTimeoutMs,
      keepAliveTimeout: options.keepAliveTimeoutMs,
      maxHeaderSize: options.maxHeaderSize,
    })
    this.#http1.on('request', onHttp1(false)).on('checkContinue', onHttp1(true))

    const http2Options: http2.ServerOptions = {
      settings: {
        maxConcurrentStreams: options.maxConcurrentStreams,
        initialWindowSize: options.streamWindowSize,
        maxHeaderListSize: options.maxHeaderSize,
      },
      maxSessionMemory: 64,
    }
    this.#h2c = http2.createServer(http2Options)
    this.#h2c.on('request', onHttp2(false)).on('checkContinue', onHttp2(true)).on('session', this.#onSession)

    if (options.tls !== undefined) {
      const tls = http2.createSecureServer({
        ...http2Options,
        allowHTTP1: true,
        cert: options.tls.cert,
        key: options.tls.key,
        minVersion: options.tls.minVersion,
      })
      // The HTTP/1.1 fallback inherits node's 300 s request timeout; see above.
      Object.assign(tls, { requestTimeout: 0, headersTimeout: options.headersTimeoutMs })
      tls.on('request', onEither(false)).on('checkContinue', onEither(true)).on('session', this.#onSession)
      this.#tls = tls
    }

    this.#net = net.createServer({ noDelay: true }, (socket) => this.#route(socket))
  }

  #onSession = (session: Http2Session): void => {
    this.#sessions.add(session)
    session.once('close', () => this.#sessions.delete(session))
    session.once('connect', () => {
      // The connection window is set per session; the stream window comes from the settings.
      session.setLocalWindowSize(this.#options.connectionWindowSize)
    })
  }

  #route(socket: Socket): void {
    this.#sockets.add(socket)
    socket.once('close', () => this.#sockets.delete(socket))
    socket.on('error', () => socket.destroy())
    let head = Buffer.alloc(0)
    const headTimer = setTimeout(() => socket.destroy(), this.#options.headersTimeoutMs)
    const onData = (chunk: Buffer): void => {
      head = Buffer.concat([head, chunk])
      const kind = sniff(head)
      if (kind === 'need-more') return
      clearTimeout(headTimer)
      socket.off('data', onData)
      socket.pause()
      socket.unshift(head)
      if (kind === 'h2c') {
        // The session reads the buffered bytes itself; resuming here would lose them.
        this.#h2c.emit('connection', socket)
      } else if (kind === 'tls' && this.#tls !== undefined) {
        this.#tls.emit('connection', socket)
      } else {
        this.#http1.emit('connection', socket)
        socket.resume()
      }
    }
    socket.on('data', onData)
    socket.once('close', () => clearTimeout(headTimer))
  }

  /** Starts listening; resolves with the bound address (the real port when 0 was asked). */
  async listen(): Promise<AddressInfo> {
    await new Promise<void>((resolve, reject) => {
      this.#net.once('error', reject)
      this.#net.listen(this.#options.port, this.#options.host, () => {
        this.#net.off('error', reject)
        resolve()
      })
    })
    return this.#net.address() as AddressInfo
  }

  /** Stops accepting connections; open ones stay. */
  stopAccepting(): void {
    this.#net.close()
  }

  /** Ends idle keep-alive connections and sends GOAWAY on HTTP/2 sessions (their open streams finish). */
  closeIdle(): void {
    this.#http1.closeIdleConnections()
    for (const session of this.#sessions) if (!session.closed) session.close()
    if (this.#tls !== undefined) (this.#tls as unknown as http.Server).closeIdleConnections?.()
  }

  /** Destroys every connection still open. */
  destroyAll(): void {
    for (const socket of this.#sockets) socket.destroy()
  }

  /** Number of open connections. */
  get connections(): number {
    return this.#sockets.size
  }
}
