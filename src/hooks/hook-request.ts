import type { AccessAction } from '../core/hooks.js'
import type { Metadata, Upload, UploadInit } from '../model/upload.js'
import type { RequestInfo } from '../model/request-info.js'
import { GoMap, goJson, type GoValue } from './go-json.js'
import type { HookType } from './hook-types.js'

/** tusd's `handler.FileInfo`, with its Go field names (it has no json tags). */
export interface FileInfo {
  readonly ID: string
  readonly Size: number
  readonly SizeIsDeferred: boolean
  readonly Offset: number
  readonly MetaData: Readonly<Record<string, string>>
  readonly IsPartial: boolean
  readonly IsFinal: boolean
  readonly PartialUploads: readonly string[] | null
  readonly Storage: Readonly<Record<string, string>> | null
}

/** tusd's `handler.HTTPRequest`: `Header` as Go's `http.Header`, canonical names and every value. */
export interface HttpRequestInfo {
  readonly Method: string
  readonly URI: string
  readonly RemoteAddr: string
  readonly Header: Readonly<Record<string, readonly string[]>>
}

/** tusd's `hooks.HookRequest`; `Event.Action` is ours, sent with `pre-access` only (Go ignores unknown keys). */
export interface HookRequest {
  readonly Type: HookType
  readonly Event: {
    readonly Upload: FileInfo
    readonly HTTPRequest: HttpRequestInfo
    readonly Action?: AccessAction
  }
}

/** An upload as tusd describes it to hooks. */
export function fileInfoOf(upload: Upload): FileInfo {
  return {
    ID: upload.id,
    // tusd writes 0 while the length is deferred.
    Size: upload.length ?? 0,
    SizeIsDeferred: upload.length === undefined,
    Offset: upload.offset,
    MetaData: goMetadata(upload.metadata),
    IsPartial: upload.concat?.kind === 'partial',
    IsFinal: upload.concat?.kind === 'final',
    PartialUploads: upload.concat?.kind === 'final' ? upload.concat.partials : null,
    Storage: upload.storage ?? null,
  }
}

/**
 * An upload about to be created, as tusd's pre-create sees it: no id yet (`""`: Go's empty string, though
 * tusd's docs say null), offset 0, no storage; a final upload with its partial uploads' ids and total size.
 */
export function newFileInfoOf(init: UploadInit): FileInfo {
  return { ...fileInfoOf({ ...init, offset: 0 }), ID: '', Storage: null }
}

/** What `pre-access` sends for a request that names no upload of ours yet (a creation): tusd's zero FileInfo. */
export const NO_FILE_INFO: FileInfo = fileInfoOf({ id: '', offset: 0, length: 0, metadata: {} })

/**
 * The request as tusd describes it: the effective method, the raw request target, the peer as `ip:port`,
 * and the headers as Go's server keeps them: canonical names (`Upload-Offset`), every field line a value,
 * `Host` put back (tusd's `newHookEvent`), and without what Go's HTTP/1.1 parser takes out of a chunked
 * request (`Transfer-Encoding`, `Content-Length`, `Trailer`). A request the gateway makes itself (a final
 * upload completed in the background) has none: empty fields.
 */
export function httpRequestOf(request: RequestInfo | undefined): HttpRequestInfo {
  if (request === undefined) return { Method: '', URI: '', RemoteAddr: '', Header: {} }
  const header: Record<string, readonly string[]> = {}
  const chunked = Object.hasOwn(request.headers, 'transfer-encoding')
  for (const [name, values] of Object.entries(request.headers)) {
    if (name === 'host' || (chunked && (name === 'transfer-encoding' || name === 'content-length' || name === 'trailer'))) continue
    Object.defineProperty(header, canonicalHeaderKey(name), { value: values, enumerable: true })
  }
  Object.defineProperty(header, 'Host', { value: [request.headers['host']?.[0] ?? ''], enumerable: true })
  return { Method: request.method, URI: request.uri, RemoteAddr: request.remoteAddress ?? '', Header: header }
}

/** The hook payload, as tusd's HTTP hook POSTs it and its file hooks read it on stdin: Go's JSON, byte for byte. */
export function encodeHookRequest(request: HookRequest): string {
  const { Upload: info, HTTPRequest: http, Action } = request.Event
  const upload: GoValue = {
    ID: info.ID,
    Size: info.Size,
    SizeIsDeferred: info.SizeIsDeferred,
    Offset: info.Offset,
    MetaData: new GoMap(info.MetaData),
    IsPartial: info.IsPartial,
    IsFinal: info.IsFinal,
    PartialUploads: info.PartialUploads,
    Storage: info.Storage === null ? null : new GoMap(info.Storage),
  }
  const httpRequest: GoValue = { Method: http.Method, URI: http.URI, RemoteAddr: http.RemoteAddr, Header: new GoMap(http.Header) }
  const event: GoValue = Action === undefined ? { Upload: upload, HTTPRequest: httpRequest } : { Upload: upload, HTTPRequest: httpRequest, Action }
  return goJson({ Type: request.Type, Event: event })
}

/**
 * Go's `textproto.CanonicalMIMEHeaderKey`: the first letter and every letter after a `-` upper case, the
 * rest lower case (`x-http-method-override` is `X-Http-Method-Override`). Node has checked the name.
 */
export function canonicalHeaderKey(name: string): string {
  return name.toLowerCase().replace(/(^|-)([a-z])/g, (_match, dash: string, letter: string) => `${dash}${letter.toUpperCase()}`)
}

/** tusd's metadata is a map of strings (always an object, `{}` when empty): a key without a value is `""`. */
function goMetadata(metadata: Metadata): Record<string, string> {
  const result: Record<string, string> = {}
  for (const [key, value] of Object.entries(metadata)) Object.defineProperty(result, key, { value: value ?? '', enumerable: true })
  return result
}
