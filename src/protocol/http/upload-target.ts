import type { OutgoingHttpHeaders } from 'node:http'
import type { UploadTarget } from '../../model/upload.js'
import type { Exchange } from '../../transport/exchange.js'
import type { ProtocolResponse } from '../response.js'
import type { DeliveryResponse } from '../../core/delivery.js'
import { UPLOAD_ANSWER_FIELDS } from './upload-fields.js'

/**
 * Hop-by-hop fields (RFC 9110 §7.6.1) and the framing of one message: never part of the request the
 * application gets, nor of its answer passed on. `Host` is the application's own; the client's goes to
 * `X-Forwarded-Host` and `Forwarded`.
 */
export const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'http2-settings',
  'host',
  'content-length',
  'expect',
])

/**
 * The request an upload creation stands for, to deliver once the upload is complete (upstream mode): the
 * effective method, the path and query, and the end-to-end headers except hop-by-hop ones, those `connection`
 * names, `X-HTTP-Method-Override` (`method` is the effective one) and the upload protocol's own `fields`
 * (the draft's `Upload-Complete`, tus `Upload-Length`, ...), which describe the upload, not the representation.
 */
export function uploadTargetOf(exchange: Exchange, method: string, fields: ReadonlySet<string>): UploadTarget {
  const named = connectionOptions(exchange.headers.connection)
  const headers: Record<string, string> = {}
  for (const [name, value] of Object.entries(exchange.headers)) {
    if (value === undefined || HOP_BY_HOP.has(name) || named.has(name) || fields.has(name) || name === 'x-http-method-override') continue
    headers[name] = Array.isArray(value) ? value.join(', ') : value
  }
  return {
    method,
    uri: exchange.uri,
    headers,
    scheme: exchange.scheme,
    ...(exchange.authority === undefined ? {} : { host: exchange.authority }),
    ...(exchange.remoteAddress === undefined ? {} : { remoteAddress: exchange.remoteAddress }),
  }
}

/**
 * The application's answer to a delivery as the response to the request that completed the upload: its
 * status, end-to-end headers and body (streamed), with `extra` (the protocol's own fields) laid over. Its copies
 * of the upload protocols' fields (`UPLOAD_ANSWER_FIELDS`) are dropped: those the gateway sets win, and the others
 * would speak for an upload the application knows nothing of.
 */
export function deliveredResponse(delivered: DeliveryResponse, extra: OutgoingHttpHeaders): ProtocolResponse {
  const headers = answerHeaders(delivered.headers)
  for (const name of UPLOAD_ANSWER_FIELDS) delete headers[name]
  return { status: delivered.status, headers: { ...headers, ...extra }, body: delivered.body }
}

/**
 * The fields of an answer of the application to pass on to the client (names in lower case): all but the
 * hop-by-hop ones and those its `Connection` names (RFC 9110 §7.6.1: "MUST remove any header or trailer field(s)
 * ... identified by connection options"). `Content-Length` stays: the body is passed on byte for byte.
 */
export function answerHeaders(headers: Readonly<Record<string, string | readonly string[]>>): Record<string, string | string[]> {
  const named = connectionOptions(headers.connection as string | string[] | undefined)
  const passed: Record<string, string | string[]> = {}
  for (const [name, value] of Object.entries(headers)) {
    if (name !== 'content-length' && (HOP_BY_HOP.has(name) || named.has(name))) continue
    passed[name] = typeof value === 'string' ? value : [...value]
  }
  return passed
}

/** The field names a `Connection` header lists: hop-by-hop too (RFC 9110 §7.6.1). */
export function connectionOptions(value: string | string[] | undefined): Set<string> {
  const joined = Array.isArray(value) ? value.join(',') : (value ?? '')
  return new Set(joined.split(',').map((name) => name.trim().toLowerCase()).filter((name) => name !== ''))
}
