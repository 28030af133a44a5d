import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Socket } from 'node:net'
import type { UnreadBodyProgress } from './wire.js'

/** How long, and how much, an HTTP/1.1 connection keeps reading a request body nobody wants. */
export interface UnreadBodyLimits {
  /**
   * Longest the connection stays open after the answer, reading and discarding (nginx's lingering_time).
   * HTTP/2 waits at most this long for an early answer's last frame to leave before resetting its stream.
   */
  readonly lingerTimeMs: number
  /** The connection is closed once nothing arrives for this long (nginx's lingering_timeout). */
  readonly lingerIdleMs: number
  /** Most body bytes read and discarded; past them the connection is closed at once. */
  readonly lingerMaxBytes: number
  /**
   * A body whose announced rest (Content-Length minus what was read) is at most this many bytes is read
   * to its end and the connection kept alive, instead of closed.
   */
  readonly drainMaxBytes: number
}

/**
 * Takes charge of the rest of a request body that the answer leaves unread, so that the answer reaches
 * the client. Returns whether the connection is kept alive (`'drain'`) or closed after the answer
 * (`'linger'`, and the caller must send `Connection: close`).
 *
 * Closing a socket with unread bytes in its receive buffer makes the kernel send a TCP reset, which
 * also throws away whatever the peer has not read yet, our answer included; and a peer still writing
 * (a proxy forwarding the body) fails with EPIPE before it reads the answer. nginx then answers 502 on
 * our behalf and marks this gateway down for 10 s. So, as nginx and Apache do for their own early
 * answers ("lingering close"), the connection is half-closed once the answer is written (FIN: the answer
 * is complete), then read and discarded until the client closes, the body ends, nothing arrives for
 * `lingerIdleMs`, `lingerTimeMs` pass, or `lingerMaxBytes` were read, and only then closed. The bytes are
 * discarded as they come: memory stays flat whatever the client sends.
 *
 * A short rest of a body of known length (at most `drainMaxBytes`) is simply read to its end and the
 * connection kept, sparing the client a new connection; if the rest does not come within the same
 * limits the connection is closed. A client that asked for `100 Continue` and did not get it may never
 * send its body, so its connection is always closed (node does the same).
 */
export function takeUnreadBody(
  request: IncomingMessage,
  response: ServerResponse,
  limits: UnreadBodyLimits,
  progress: UnreadBodyProgress,
): 'drain' | 'linger' {
  const rest = announcedRest(request, progress.bytesRead)
  const drain = rest !== undefined && rest <= limits.drainMaxBytes && !progress.continueWithheld
  const socket = request.socket
  let discarded = 0
  /** The answer is written and node wants the connection closed. */
  let closing = false
  let timers: { idle: NodeJS.Timeout; total: NodeJS.Timeout } | undefined

  const cleanUp = (): void => {
    clearTimeout(timers?.idle)
    clearTimeout(timers?.total)
    request.off('readable', discard)
    request.off('end', onEnd)
    response.off('finish', startTimers)
    socket.off('close', cleanUp)
    restoreDestroySoon(socket)
  }
  // node's own method ends the socket once everything written to it has left, then destroys it.
  const close = (): void => {
    cleanUp()
    socket.destroySoon()
  }
  function startTimers(): void {
    timers ??= { idle: setTimeout(close, limits.lingerIdleMs), total: setTimeout(close, limits.lingerTimeMs) }
  }
  function discard(): void {
    for (let chunk = request.read() as Buffer | null; chunk !== null; chunk = request.read() as Buffer | null) {
      discarded += chunk.length
      if (discarded > limits.lingerMaxBytes) {
        // Until the answer is written the socket must stay: reading stops (flow control holds the
        // client back) and the connection closes as soon as the answer is out.
        request.off('readable', discard)
        if (closing || drain) close()
        return
      }
    }
    timers?.idle.refresh()
  }
  function onEnd(): void {
    // The whole body has arrived: nothing unread is left, so a connection that is to close can close
    // normally; a kept one goes on with its next request.
    const wasClosing = closing
    cleanUp()
    if (wasClosing) socket.destroySoon()
  }

  // node:http calls `destroySoon` once an answer that ends the connection is written (always so in
  // 'linger'; in 'drain' only when the client asked to close), to destroy the socket as soon as the
  // answer has left. This own property shadows it: half-close instead, and linger.
  socket.destroySoon = () => {
    closing = true
    socket.end()
    if (discarded > limits.lingerMaxBytes) close()
    else startTimers()
  }
  request.on('readable', discard)
  request.once('end', onEnd)
  socket.once('close', cleanUp)
  // The limits count from the answer's end, as nginx's do: a long answer is never cut.
  if (drain) response.once('finish', startTimers)
  discard()
  return drain ? 'drain' : 'linger'
}

function restoreDestroySoon(socket: Socket): void {
  // The own property set above shadowed the prototype's method; removing it restores node's.
  delete (socket as Partial<Pick<Socket, 'destroySoon'>>).destroySoon
}

/** Bytes of the body still to come according to its Content-Length, or undefined when unknown (chunked). */
function announcedRest(request: IncomingMessage, bytesRead: number): number | undefined {
  const length = request.headers['content-length']
  if (length === undefined || request.headers['transfer-encoding'] !== undefined || !/^\d{1,15}$/.test(length)) return undefined
  return Math.max(0, Number(length) - bytesRead - request.readableLength)
}
