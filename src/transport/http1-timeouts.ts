import type { Server } from 'node:http'
import type { Http2SecureServer } from 'node:http2'

/** The HTTP/1.1 timeouts one server applies (node's names). */
export interface Http1Timeouts {
  /** Time a client has to send a whole request head. */
  readonly headersTimeoutMs: number
  /** Time an idle keep-alive connection stays open. */
  readonly keepAliveTimeoutMs: number
}

// How often node looks for request heads that took too long; a quarter of the timeout keeps the
// overshoot small without scanning the connections needlessly often.
function checkingInterval(headersTimeoutMs: number): number {
  return Math.min(Math.max(Math.floor(headersTimeoutMs / 4), 100), 5_000)
}

/**
 * Applies the HTTP/1.1 timeouts to a server that never listens itself (the listener hands it sockets)
 * and starts node's checks of them.
 *
 * node enforces `headersTimeout` (and `requestTimeout`) from a timer it starts when the server emits
 * `'listening'`, which a server fed through `emit('connection')` never does: without this, a client
 * that sends half a request head and stalls would hold its connection forever. `requestTimeout` is
 * turned off: a long upload is one request, and node's default (300 s; also the default of an
 * `Http2SecureServer` with `allowHTTP1`) would cut it. Stalled bodies meet the body's idle timeout
 * (--network-timeout) instead. `close()` on the server stops the checks.
 */
export function applyHttp1Timeouts(server: Server | Http2SecureServer, timeouts: Http1Timeouts): void {
  Object.assign(server, {
    requestTimeout: 0,
    headersTimeout: timeouts.headersTimeoutMs,
    keepAliveTimeout: timeouts.keepAliveTimeoutMs,
    connectionsCheckingInterval: checkingInterval(timeouts.headersTimeoutMs),
  })
  server.emit('listening')
}
