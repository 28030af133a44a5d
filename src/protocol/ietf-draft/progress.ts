import type { Exchange } from '../../transport/exchange.js'
import type { BodyTap } from './body-tap.js'
import { INTEROP_VERSION_FIELD } from './versions.js'

/** Where progress 104s go and what they count from. */
export interface ProgressOptions {
  readonly exchange: Exchange
  readonly tap: BodyTap
  /** The upload's offset when the request's content started. */
  readonly start: number
  /** The interop version to echo (every 104 carries it, App. B). */
  readonly echo: string
  readonly intervalMs: number
  /** The upload's length if known: progress never claims more. */
  readonly length?: number
}

/**
 * while content streams in, an interim `104 (Upload Resumption Supported)` with the
 * current `Upload-Offset` every `intervalMs`, only when it grew (-03: offsets in 104s never decrease),
 * and never with `Location` (-03 to -09: "MUST NOT contain the Location header field").
 * Returns a function that stops the reports; call it before the final response.
 *
 * The offset counts the bytes handed to the store, which keeps every byte it was handed even when
 * the request stops early (store contract). Requests whose bytes may be discarded (a `Content-Digest`
 * that might not match) must not report progress.
 */
export function reportProgress(options: ProgressOptions): () => void {
  const { exchange, tap, start, echo, intervalMs, length } = options
  let reported = start
  const timer = setInterval(() => {
    const offset = Math.min(start + tap.bytes, length ?? Number.MAX_SAFE_INTEGER)
    if (offset <= reported || exchange.responded) return
    reported = offset
    exchange.sendInformational(104, { 'upload-offset': String(offset), [INTEROP_VERSION_FIELD]: echo })
  }, intervalMs)
  // A report is a courtesy: it must never keep the process alive.
  timer.unref()
  return () => clearInterval(timer)
}
