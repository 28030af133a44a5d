import type { OutgoingHttpHeaders } from 'node:http'
import type { ResponseBody } from '../transport/exchange.js'

/** What a codec answers: status, headers and an optional body. The router sends it. */
export interface ProtocolResponse {
  readonly status: number
  readonly headers: OutgoingHttpHeaders
  readonly body?: ResponseBody
}

/** A plain-text response whose body ends with a newline (curl users read it in a terminal). */
export function textResponse(status: number, message: string, headers: OutgoingHttpHeaders = {}): ProtocolResponse {
  return { status, headers: { ...headers, 'content-type': 'text/plain; charset=utf-8' }, body: `${message}\n` }
}
