import type { OutgoingHttpHeaders } from 'node:http'
import type { UploadTarget } from '../../model/upload.js'
import type { Exchange } from '../../transport/exchange.js'
import type { ProtocolResponse } from '../response.js'
import type { DeliveryResponse } from '../../core/delivery.js'

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
 * status, end-to-end headers and body (streamed), with `extra` (the protocol's own fields) laid over.
 */
export function deliveredResponse(delivered: DeliveryResponse, extra: OutgoingHttpHeaders): ProtocolResponse {
  const headers: OutgoingHttpHeaders = {}
  for (const [name, value] of Object.entries(delivered.headers)) {
    // Content-Length stays: the body is passed on byte for byte, and a HEAD-less answer keeps its framing.
    if (name !== 'content-length' && HOP_BY_HOP.has(name)) continue
    headers[name] = typeof value === 'string' ? value : [...value]
  }
  return { status: delivered.status, headers: { ...headers, ...extra }, body: delivered.body }
}

/** The field names a `Connection` header lists: hop-by-hop too (RFC 9110 §7.6.1). */
export function connectionOptions(value: string | string[] | undefined): Set<string> {
  const joined = Array.isArray(value) ? value.join(',') : (value ?? '')
  return new Set(joined.split(',').map((name) => name.trim().toLowerCase()).filter((name) => name !== ''))
}
