import http, { type IncomingMessage, type ServerResponse } from 'node:http'
import http2, { type Http2ServerRequest, type Http2ServerResponse } from 'node:http2'
import net, { type AddressInfo, type Socket } from 'node:net'
import type { SecureVersion } from 'node:tls'
import { waitAtMost } from '../model/wait-at-most.js'
import type { MinBodyRateOptions } from './body-rate.js'
import { answerClientError } from './client-error.js'
import { refuseConnect } from './connect-method.js'
import { hasRepeatedHost, refuseRepeatedHost } from './repeated-host.js'
import { ConnectionLimits } from './connection-limits.js'
import { ConnectionRefusal } from './connection-refusal.js'
import type { ExchangeHandler } from './exchange.js'
import { inConnectionOrder } from './http1-pipeline.js'
import type { UnreadBodyLimits } from './http1-unread-body.js'
import { Http1Wire } from './http1-wire.js'
import { applyHttp1Timeouts } from './http1-timeouts.js'
import { Http2Sessions } from './http2-sessions.js'
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
  /** Time a client has to send a request head (HTTP/1.1) or its first bytes and the TLS handshake. */
  readonly headersTimeoutMs: number
  /** Time an idle connection stays open: an HTTP/1.1 keep-alive, or an HTTP/2 session without streams. */
  readonly keepAliveTimeoutMs: number
  /** Largest request head, in bytes: HTTP/1.1 answers a larger one 431, HTTP/2 resets its stream. */
  readonly maxHeaderSize: number
  /** Most concurrent streams one HTTP/2 connection may open. */
  readonly maxConcurrentStreams: number
  /**
   * Most of those that may carry a request body (uploads); more are refused with REFUSED_STREAM.
   * A connection can make the gateway buffer at most this many stream windows (see Http2Sessions).
   */
  readonly maxBodyStreams: number
  /** HTTP/2 flow-control windows, in bytes: per stream, and for the whole connection. */
  readonly streamWindowSize: number
  readonly connectionWindowSize: number
  /** Largest HTTP/2 frame a client may send, in bytes (16 KiB to 16 MiB - 1). */
  readonly maxFrameSize: number
  /** Memory one HTTP/2 session may hold in nghttp2's buffers, in MiB; beyond it new streams are refused. */
  readonly maxSessionMemoryMiB: number
  /** What an HTTP/1.1 connection reads of a request body its answer left unread (lingering close). */
  readonly unreadBody: UnreadBodyLimits
  /**
   * Most connections open at once (absent or 0: no limit); more are answered and closed at once (see
   * ConnectionRefusal).
   */
  readonly maxConnections?: number
  /** Most connections open at once from one client address (absent or 0: no limit). */
  readonly maxConnectionsPerIp?: number
  /** Request bodies slower than this are stopped (absent: no minimum). */
  readonly minBodyRate?: MinBodyRateOptions
  /**
   * A streamed response the client takes nothing of for this long is cut short, its body (an upload's file)
   * released: the HTTP/1.1 connection is closed, the HTTP/2 stream reset (absent or 0: never).
   */
  readonly stalledResponseMs?: number
}

/** What a listener holds open now, for metrics. */
export interface ListenerStats {
  /** Connections (TCP sockets) open, whatever their protocol. */
  readonly connections: number
  readonly http2Sessions: number
  readonly http2Streams: number
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
  readonly #sessions: Http2Sessions
  readonly #limits: ConnectionLimits
  readonly #refusal = new ConnectionRefusal()

  constructor(handler: ListenerHandler, options: ListenerOptions) {
    this.#options = options
    this.#limits = new ConnectionLimits({ maxConnections: options.maxConnections ?? 0, maxConnectionsPerIp: options.maxConnectionsPerIp ?? 0 })
    const { minBodyRate, stalledResponseMs } = options
    const onHttp1 = (expectsContinue: boolean) => (request: IncomingMessage, response: ServerResponse) => {
      if (hasRepeatedHost(request.rawHeaders)) return refuseRepeatedHost(response)
      const exchange = new NodeExchange(request, response, new Http1Wire(request, response, options.unreadBody), { expectsContinue, minBodyRate, stalledResponseMs })
      inConnectionOrder(request.socket, () => handler(exchange))
    }
    const onHttp2 = (expectsContinue: boolean) => (request: Http2ServerRequest, response: Http2ServerResponse) => {
      // Reset already (node emits a packet's requests after reading all of it): nobody to serve, and
      // serving would cost more than node's own work on the stream (HTTP/2 rapid reset, issue 10, item 1).
      if (request.stream.destroyed) return
      if (!this.#sessions.admit(request.stream, request.method)) return
      void handler(new NodeExchange(request, response, new Http2Wire(request, response, options.unreadBody), { expectsContinue, minBodyRate, stalledResponseMs }))
    }
    // TLS with allowHTTP1 hands both versions to the same listener.
    const onEither =
      (expectsContinue: boolean) =>
      (request: IncomingMessage | Http2ServerRequest, response: ServerResponse | Http2ServerResponse) =>
        request.httpVersionMajor === 2
          ? onHttp2(expectsContinue)(request as Http2ServerRequest, response as Http2ServerResponse)
          : onHttp1(expectsContinue)(request as IncomingMessage, response as ServerResponse)
    const timeouts = { headersTimeoutMs: options.headersTimeoutMs, keepAliveTimeoutMs: options.keepAliveTimeoutMs }
    this.#sessions = new Http2Sessions({
      connectionWindowSize: options.connectionWindowSize,
      idleTimeoutMs: options.keepAliveTimeoutMs,
      maxBodyStreams: options.maxBodyStreams,
      reservePlace: (socket) => this.#limits.reserve(socket),
    })

    // A head larger than maxHeaderSize gets node's 431 (RFC 6585 §5).
    this.#http1 = http.createServer({ maxHeaderSize: options.maxHeaderSize })
    applyHttp1Timeouts(this.#http1, timeouts)
    // A client that half-closes after sending its request (FIN) still gets its answer; by default node
    // aborts the request in flight on the client's FIN.
    Object.assign(this.#http1, { httpAllowHalfOpen: true })
    const onConnect = refuseConnect(options.unreadBody.lingerTimeMs)
    this.#http1.on('request', onHttp1(false)).on('checkContinue', onHttp1(true)).on('clientError', answerClientError).on('connect', onConnect)

    const http2Options: http2.ServerOptions = {
      settings: {
        maxConcurrentStreams: options.maxConcurrentStreams,
        initialWindowSize: options.streamWindowSize,
        maxFrameSize: options.maxFrameSize,
        // RFC 9113 §6.5.2: announced to the client; a larger header section resets its stream.
        maxHeaderListSize: options.maxHeaderSize,
      },
      maxSessionMemory: options.maxSessionMemoryMiB,
    }
    this.#h2c = http2.createServer(http2Options)
    this.#h2c.on('request', onHttp2(false)).on('checkContinue', onHttp2(true)).on('connect', onConnect).on('session', this.#sessions.add)

    if (options.tls !== undefined) {
      const tls = http2.createSecureServer({
        ...http2Options,
        ...secureContextOptions(options.tls),
        allowHTTP1: true,
        handshakeTimeout: options.headersTimeoutMs,
      })
      // The HTTP/1.1 fallback reads these from the server object, as a node:http server would.
      Object.assign(tls, { maxHeaderSize: options.maxHeaderSize })
      applyHttp1Timeouts(tls, timeouts)
      tls
        .on('request', onEither(false))
        .on('checkContinue', onEither(true))
        .on('clientError', answerClientError)
        .on('connect', onConnect)
        .on('session', this.#sessions.add)
      this.#tls = tls
    }

    // allowHalfOpen as node's own HTTP server: a client that half-closes after its request (FIN) still gets the answer.
    this.#net = net.createServer({ noDelay: true, allowHalfOpen: true }, (socket) => this.#route(socket))
  }

  #route(socket: Socket): void {
    this.#sockets.add(socket)
    socket.once('close', () => this.#sockets.delete(socket))
    socket.on('error', () => socket.destroy())
    const refused = this.#limits.admit(socket)
    if (refused !== undefined) {
      this.#refusal.refuse(socket, refused)
      return
    }
    let head = Buffer.alloc(0)
    const headTimer = setTimeout(() => socket.destroy(), this.#options.headersTimeoutMs)
    // A client that leaves before saying what it speaks (a load balancer's TCP health check, a port scanner, a
    // cut-off preface) has no request to answer: its descriptor and its place under the limits are freed at once.
    const onEnd = (): void => {
      socket.destroy()
    }
    const onData = (chunk: Buffer): void => {
      head = Buffer.concat([head, chunk])
      const kind = sniff(head)
      if (kind === 'need-more') return
      clearTimeout(headTimer)
      socket.off('data', onData)
      socket.off('end', onEnd)
      socket.pause()
      if (kind === 'h2c') {
        // Everything read so far goes back to the socket: the session reads the buffered bytes itself
        // (resuming here would lose them).
        socket.unshift(head)
        this.#h2c.emit('connection', socket)
      } else if (kind === 'tls' && this.#tls !== undefined) {
        // The TLS socket feeds the buffered bytes to the handshake before reading more.
        socket.unshift(head)
        this.#tls.emit('connection', socket)
      } else {
        this.#handOverHttp1(socket, head)
      }
    }
    socket.on('data', onData)
    socket.once('end', onEnd)
    socket.once('close', () => clearTimeout(headTimer))
  }

  /**
   * Gives a paused socket and the bytes read from it to node:http, which then parses straight from the
   * socket's handle and stops reading it while a request body is not consumed (backpressure). The bytes go
   * back only once the 'resume' that hands the socket over has been emitted: node:http answers a 'resume'
   * by reading the handle again, so one arriving after the head was parsed would undo the stop that a body
   * nobody reads yet asked for, and the whole body would pile up in memory (a PATCH waiting for its lock or
   * its store, tens of MiB each on loopback).
   */
  #handOverHttp1(socket: Socket, head: Buffer): void {
    this.#http1.emit('connection', socket)
    socket.once('resume', () => {
      if (!socket.destroyed) socket.unshift(head)
    })
    socket.resume()
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

  /**
   * Replaces the TLS certificate and key: connections made from now on are served with the new
   * ones, open connections keep theirs. Throws if the listener has no TLS, or if the key does not
   * match the certificate (the old ones then stay).
   */
  setTlsCredentials(tls: TlsOptions): void {
    if (this.#tls === undefined) throw new Error('this listener serves no TLS')
    this.#tls.setSecureContext(secureContextOptions(tls))
  }

  /** What is open now (read when metrics are scraped). */
  stats(): ListenerStats {
    return { connections: this.#sockets.size, http2Sessions: this.#sessions.sessions, http2Streams: this.#sessions.streams }
  }

  /** Stops accepting connections; open ones stay. */
  stopAccepting(): void {
    this.#net.close()
  }

  /**
   * Ends idle keep-alive connections and sends GOAWAY on HTTP/2 sessions (their open streams finish; one with an
   * upload in flight gets it later, see Http2Sessions.closeAll).
   */
  closeIdle(): void {
    this.#http1.closeIdleConnections()
    // An Http2SecureServer with allowHTTP1 has node:http's closeIdleConnections for its HTTP/1.1 side.
    ;(this.#tls as unknown as http.Server | undefined)?.closeIdleConnections()
    this.#sessions.closeAll()
  }

  /**
   * Waits for the HTTP/2 sessions that `closeIdle` sent GOAWAY to end by themselves (see Http2Sessions.closeAll),
   * at most `timeoutMs` and at most the linger time of an unread body; `destroyAll` cuts the rest.
   *
   * Why: a client still sending a request body when its 503 arrives (curl reads its answer only between
   * writes) keeps sending until it has read it. Destroying the connection with its DATA still arriving makes
   * the kernel answer with a TCP reset, and the client's kernel then drops what the client had not read yet,
   * the 503 included. HTTP/1.1 has its lingering close for the same reason (http1-unread-body.ts).
   */
  async endSessions(timeoutMs: number): Promise<void> {
    await waitAtMost(this.#sessions.allClosed(), Math.min(timeoutMs, this.#options.unreadBody.lingerTimeMs))
  }

  /** Destroys every connection still open, and stops the servers' timers. */
  destroyAll(): void {
    for (const socket of this.#sockets) socket.destroy()
    this.#http1.close()
    this.#tls?.close()
  }
}

function secureContextOptions(tls: TlsOptions): { cert: string | Buffer; key: string | Buffer; minVersion: SecureVersion } {
  return { cert: tls.cert, key: tls.key, minVersion: tls.minVersion }
}
