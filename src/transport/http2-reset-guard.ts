import { channel } from 'node:diagnostics_channel'
import { constants, type ServerHttp2Session, type ServerHttp2Stream } from 'node:http2'

/** The `diagnostics_channel` a connection closed for rapid reset is reported on (a `RapidResetReport`). */
export const RAPID_RESET_CHANNEL = 'resumable-gateway:http2-rapid-reset'

/** What is published on `RAPID_RESET_CHANNEL` when a connection is closed. */
export interface RapidResetReport {
  readonly remoteAddress: string | undefined
  readonly remotePort: number | undefined
  /** The gateway's side of the connection: tells the gateways of one process apart. */
  readonly localPort: number | undefined
  /** Streams the client reset before their answer over the connection's life. */
  readonly resets: number
}

/**
 * How many streams a client may reset before their answer: a token bucket, `burst` at first and at most,
 * `perSecond` regained. A browser that cancels every upload of a page, or a client that gives up on a slow
 * answer, stays far below; nghttp2's own limit (1,000 and 33 a second, node 20) only sends GOAWAY and
 * leaves the connection open, reading and parsing whatever the client keeps sending.
 */
export const RAPID_RESET_LIMIT = { burst: 200, perSecond: 50 } as const

const diagnostics = channel(RAPID_RESET_CHANNEL)

/**
 * Watches one server session for HTTP/2 rapid reset (CVE-2023-44487): a stream the client resets before
 * it was answered is work the gateway began for nobody, and costs the client nothing, not even one of its
 * concurrent streams. Past the limit the session is sent GOAWAY(ENHANCE_YOUR_CALM) and its connection is
 * closed at once, so what the client sent after is never read (issue 10, item 1).
 *
 * Counted: streams that close with an error code (the client's RST_STREAM, usually CANCEL) before any
 * response head was sent. Not counted: streams the gateway refuses itself (REFUSED_STREAM), resets after an
 * answer began (a client leaving a download), streams ended by the connection's end.
 */
export function guardResets(session: ServerHttp2Session, limit: { readonly burst: number; readonly perSecond: number } = RAPID_RESET_LIMIT): void {
  let tokens = limit.burst
  let since = performance.now()
  let resets = 0
  const onStreamClose = (stream: ServerHttp2Stream): void => {
    const code = stream.rstCode
    if (code === undefined || code === constants.NGHTTP2_NO_ERROR || code === constants.NGHTTP2_REFUSED_STREAM || stream.headersSent) return
    if (session.destroyed) return
    resets += 1
    const now = performance.now()
    tokens = Math.min(limit.burst, tokens + ((now - since) / 1000) * limit.perSecond)
    since = now
    tokens -= 1
    if (tokens >= 0) return
    const { socket } = session
    if (diagnostics.hasSubscribers) {
      const report: RapidResetReport = { remoteAddress: socket?.remoteAddress, remotePort: socket?.remotePort, localPort: socket?.localPort, resets }
      diagnostics.publish(report)
    }
    // RFC 9113 §5.4.1: GOAWAY with the error, then close the connection; ENHANCE_YOUR_CALM (§7) says why.
    // With an error: `destroy(undefined, code)` sends NO_ERROR (undefined takes the default error, NO_ERROR).
    session.destroy(new RapidReset(resets), constants.NGHTTP2_ENHANCE_YOUR_CALM)
  }
  session.on('stream', (stream) => stream.once('close', () => onStreamClose(stream)))
}

/** Why a session was closed by `guardResets` (node hands it to the server's `'sessionError'` listeners). */
export class RapidReset extends Error {
  constructor(readonly resets: number) {
    super(`the client reset ${resets} streams before their answer, faster than allowed: connection closed`)
    this.name = 'RapidReset'
  }
}
