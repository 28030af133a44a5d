import { constants, type Http2Session, type ServerHttp2Session, type ServerHttp2Stream } from 'node:http2'
import type { Socket } from 'node:net'
import { guardResets } from './http2-reset-guard.js'

export interface Http2SessionOptions {
  /** The connection-level receive window, in bytes (the stream window comes from the SETTINGS). */
  readonly connectionWindowSize: number
  /** A session without an open stream for this long is sent GOAWAY and closed. */
  readonly idleTimeoutMs: number
  /** Most streams carrying a request body one session may have open at once; more are refused. */
  readonly maxBodyStreams: number
  /**
   * Takes a place of the connection limits for one more stream of `socket`'s client that may hold a file; returns
   * the function that gives it back, or undefined when none is left (ConnectionLimits.reserve).
   */
  readonly reservePlace: (socket: Socket) => (() => void) | undefined
}

/**
 * The HTTP/2 sessions of one listener: each gets its connection window, an idle timeout, a limit on
 * the streams that carry a body, a guard against rapid reset, and a GOAWAY when the gateway shuts down.
 */
export class Http2Sessions {
  readonly #options: Http2SessionOptions
  readonly #sessions = new Set<Http2Session>()
  readonly #bodyStreams = new WeakMap<Http2Session, number>()
  readonly #fileStreams = new WeakMap<Http2Session, number>()
  /** Sessions to be sent GOAWAY once their last stream carrying a body has closed (see closeAll). */
  readonly #closeAfterBodies = new WeakSet<Http2Session>()
  /** Called once no session is left (see `allClosed`). */
  readonly #whenNoneLeft = new Set<() => void>()
  #streams = 0

  constructor(options: Http2SessionOptions) {
    this.#options = options
  }

  /** Takes charge of a new server session (a `'session'` listener). */
  readonly add = (session: ServerHttp2Session): void => {
    this.#sessions.add(session)
    guardResets(session)
    // HTTP/2 has no half-closed connection: a client's FIN ends its session, as with node's own HTTP/2
    // server. The listener keeps sockets half-open for HTTP/1.1; kept so, a session's requests never
    // learned that their client had left.
    session.socket.once('end', () => session.destroy())
    // The stream window is a SETTINGS value; the connection window can only be raised per session
    // (RFC 9113 §6.9.2: the initial connection window is 65 535 bytes, changed by WINDOW_UPDATE only).
    // A session may be gone by then (its client's FIN, a reset storm): setLocalWindowSize would throw.
    session.once('connect', () => {
      if (!session.destroyed) session.setLocalWindowSize(this.#options.connectionWindowSize)
    })
    // A session holds its socket for as long as it lives: one that carries no stream for the idle
    // timeout (an idle keep-alive, or a client that never finishes a request head) is closed, like an
    // idle HTTP/1.1 connection. A stream that waits (for a lock, for its body) keeps it open; its own
    // timeouts (--network-timeout, --acquire-lock-timeout) guard that wait.
    const closeWhenIdle = (): NodeJS.Timeout => setTimeout(() => session.close(), this.#options.idleTimeoutMs)
    let openStreams = 0
    let idle: NodeJS.Timeout | undefined = closeWhenIdle()
    session.on('stream', (stream) => {
      openStreams += 1
      this.#streams += 1
      clearTimeout(idle)
      idle = undefined
      stream.once('close', () => {
        openStreams -= 1
        this.#streams -= 1
        if (openStreams === 0 && !session.closed) idle = closeWhenIdle()
      })
    })
    session.once('close', () => {
      clearTimeout(idle)
      this.#sessions.delete(session)
      if (this.#sessions.size > 0) return
      for (const resolve of this.#whenNoneLeft) resolve()
      this.#whenNoneLeft.clear()
    })
  }

  /** Sessions open now. */
  get sessions(): number {
    return this.#sessions.size
  }

  /** Streams open now, over all sessions. */
  get streams(): number {
    return this.#streams
  }

  /**
   * Decides whether a new stream may be served: one that may hold files needs a place (see #placeForFiles), and
   * one whose request has a body counts toward
   * `maxBodyStreams` until it closes; beyond that it is refused with RST_STREAM(REFUSED_STREAM),
   * which tells the client that nothing was processed and the request can be retried (RFC 9113 §8.7).
   *
   * Why: node hands every DATA frame to the stream at once and replenishes the connection window as
   * it arrives, so a stream nobody reads (one waiting for a lock, say) holds up to its whole window
   * in memory, and the connection window bounds nothing. Limiting the streams that can carry data
   * bounds what one connection can make the gateway hold: maxBodyStreams x the stream window.
   * Requests without a body (HEAD, GET, OPTIONS: END_STREAM on their HEADERS) are never refused for this, and
   * HEAD and OPTIONS never at all, so a HEAD can still reach an upload whose PATCH stalled on the same connection.
   */
  admit(stream: ServerHttp2Stream, method: string): boolean {
    const session = stream.session
    if (session === undefined) return true
    if (!this.#placeForFiles(stream, method, session)) return false
    if (stream.endAfterHeaders) return true
    const open = this.#bodyStreams.get(session) ?? 0
    if (open >= this.#options.maxBodyStreams) {
      stream.close(constants.NGHTTP2_REFUSED_STREAM)
      return false
    }
    this.#bodyStreams.set(session, open + 1)
    stream.once('close', () => {
      const left = (this.#bodyStreams.get(session) ?? 1) - 1
      this.#bodyStreams.set(session, left)
      if (left === 0 && this.#closeAfterBodies.has(session) && !session.closed) session.close()
    })
    return true
  }

  /**
   * Decides whether a stream that may hold files open (a GET: a download, an application's answer passed on; one
   * with a body: an upload) can have them, refusing it with RST_STREAM(REFUSED_STREAM) otherwise.
   *
   * Why: the connection limits' default gives each connection two descriptors (its socket and a file), right for
   * HTTP/1.1, which serves one request at a time. An HTTP/2 connection serves up to 100 streams, each holding a
   * file of its own until its answer is taken (20 connections of 100 unread GETs took every descriptor of a
   * gateway under `ulimit -n 1024` in an adversarial test). So the first such stream of a session rides on its
   * connection's place, and each more takes a place of the connection limits as one more connection of the
   * same client would: whatever the protocol, the descriptors held stay within the limits' sum, and one client
   * within its share. A fixed number per session would not: every one of a client's connections could hold it.
   */
  #placeForFiles(stream: ServerHttp2Stream, method: string, session: Http2Session): boolean {
    // HEAD and OPTIONS answer without holding a file (a status read opens `.info` only while reading it).
    if (stream.endAfterHeaders && method !== 'GET') return true
    const holding = this.#fileStreams.get(session) ?? 0
    let release: (() => void) | undefined
    if (holding > 0) {
      release = session.socket === undefined ? undefined : this.#options.reservePlace(session.socket as Socket)
      if (release === undefined) {
        stream.close(constants.NGHTTP2_REFUSED_STREAM)
        return false
      }
    }
    this.#fileStreams.set(session, holding + 1)
    stream.once('close', () => {
      this.#fileStreams.set(session, (this.#fileStreams.get(session) ?? 1) - 1)
      release?.()
    })
    return true
  }

  /**
   * Sends GOAWAY on every session: no new streams are accepted, open ones finish. A session with a request body
   * in flight (an upload) gets it once its last such stream has closed: a client still sending its body that
   * reads GOAWAY before its answer may lose the answer (curl 7.88 does: it goes on sending to the end, or fails
   * with exit 18, status 000). Until then the gateway answers its new streams 503 itself.
   *
   * Once a session with GOAWAY has no stream left, node ends it gracefully: the frames still queued are
   * written, the connection is half-closed (FIN), and what the client still sends is read and dropped until
   * it closes its side; only then does the session emit 'close'.
   */
  closeAll(): void {
    for (const session of this.#sessions) {
      if (session.closed) continue
      if ((this.#bodyStreams.get(session) ?? 0) > 0) this.#closeAfterBodies.add(session)
      else session.close()
    }
  }

  /** Resolves once every session has closed (at once when none is open). */
  allClosed(): Promise<void> {
    if (this.#sessions.size === 0) return Promise.resolve()
    return new Promise((resolve) => this.#whenNoneLeft.add(resolve))
  }
}
