import type { ProgressListener } from '../../core/commands.js'
import type { Exchange } from '../../transport/exchange.js'
import { INTEROP_VERSION_FIELD } from './versions.js'

/**
 * while content streams in, an interim `104 (Upload Resumption Supported)` with the current
 * `Upload-Offset`, at most every `intervalMs`. The service reports progress only when the offset grew (-03:
 * offsets in 104s never decrease), counting bytes handed to the store (which keeps every byte it was
 * handed), never for content that may be discarded (a `Content-Digest` that might not match). Never
 * with `Location` (-03 to -09: "MUST NOT contain the Location header field").
 */
export function progressInformationals(exchange: Exchange, echo: string, intervalMs: number): ProgressListener {
  let last = performance.now()
  return (offset) => {
    const now = performance.now()
    // The service's ticks may come more often than the draft's interval (hooks ask for their own).
    if (now - last < intervalMs * 0.9 || exchange.responded) return
    last = now
    exchange.sendInformational(104, { 'upload-offset': String(offset), [INTEROP_VERSION_FIELD]: echo })
  }
}
