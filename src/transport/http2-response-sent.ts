import type { ServerHttp2Stream } from 'node:http2'

// Checks on the next turns of the event loop find the END_STREAM sent in all but rare cases; past
// them, the checks back off (1 ms doubling up to 250 ms) rather than spin.
const QUICK_CHECKS = 8
const MAX_PAUSE_MS = 250

/**
 * Calls `then` once nghttp2 has written the response's END_STREAM (its last frame) for `stream`, once
 * the stream is closed, or once `giveUpMs` passed without either; never if the stream is destroyed first.
 *
 * Why not at 'finish': the stream's writable side finishes when the response's data was handed over,
 * before its END_STREAM is written. node's compat response even sends END_STREAM later still, as
 * (empty) trailers on a following turn of the event loop. And a RST_STREAM submitted to nghttp2 marks
 * the stream as closing at once: every frame of it not yet written (DATA, END_STREAM) is then dropped,
 * whatever its place in the queue. node emits no event when a frame has been written; nghttp2's view of
 * the stream does say it: `localClose` turns 1 once END_STREAM has left nghttp2 for the socket, and
 * frames submitted after it reach the socket after it.
 *
 * A client whose flow-control window is closed holds even an empty END_STREAM back: `giveUpMs` bounds
 * that wait (it reads nothing anyway).
 */
export function whenResponseSent(stream: ServerHttp2Stream, giveUpMs: number, then: () => void): void {
  const deadline = Date.now() + giveUpMs
  let checks = 0
  const check = (): void => {
    if (stream.destroyed) return
    if (stream.closed || stream.state.localClose === 1 || Date.now() >= deadline) {
      then()
      return
    }
    checks += 1
    if (checks < QUICK_CHECKS) setImmediate(check)
    else setTimeout(check, Math.min(MAX_PAUSE_MS, 2 ** (checks - QUICK_CHECKS)))
  }
  check()
}
