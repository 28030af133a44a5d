import type { OutgoingHttpHeaders } from 'node:http'
import { CHECKSUM_ALGORITHMS } from '../../core/body/checksum.js'
import type { CreateCommand, RequestContext, WriteResult } from '../../core/commands.js'
import type { UploadService } from '../../core/service.js'
import { isCoreError } from '../../model/errors.js'
import { isComplete, type Metadata, type Upload, type UploadTarget } from '../../model/upload.js'
import type { DeliveryResponse } from '../../core/delivery.js'
import type { Exchange } from '../../transport/exchange.js'
import { withAnswer } from '../answer.js'
import type { Codec, ErrorAnswer } from '../codec.js'
import { HeaderError, RequestRejected } from '../header-error.js'
import { contentDisposition, downloadContentType } from '../http/content-disposition.js'
import { contentCodings } from '../http/content-encoding.js'
import { headerValue } from '../http/header-value.js'
import { mediaType } from '../http/media-type.js'
import { requestBodySize } from '../http/body-size.js'
import { parseRange } from '../http/range.js'
import { deliveredResponse, uploadTargetOf } from '../http/upload-target.js'
import { textResponse, type ProtocolResponse } from '../response.js'
import type { Target } from '../target.js'
import { checksumChecks } from './checksum-header.js'
import { finalConcat, parseUploadConcat, serializeUploadConcat } from './concat-header.js'
import { FailedAfterCreation } from './failed-after-creation.js'
import { tusErrorResponse } from './error-response.js'
import { expiresHeaders } from './expires-header.js'
import { parseDeferLength, parseMetadata, parseNonNegativeInteger, serializeMetadata } from './headers.js'
import { TUS_FIELDS } from './tus-fields.js'

export const TUS_VERSION = '1.0.0'
const OFFSET_OCTET_STREAM = 'application/offset+octet-stream'
// RFC 7240 §4.2: the client prefers the full answer; in upstream mode, the application's to the completed upload.
const RETURN_REPRESENTATION = /(?:^|,)\s*return\s*=\s*"?representation"?\s*(?:;|,|$)/i

export interface TusCodecOptions {
  /** Absolute URL of an upload from its id, for `Location`. */
  readonly uploadUrl: (exchange: Exchange, id: string) => string
  /** The id of the upload a URL (absolute or relative) names, if it is one of ours; for `Upload-Concat`. */
  readonly uploadIdOf: (exchange: Exchange, url: string) => string | undefined
  /**
   * Why a request without `Tus-Resumable` may have been meant for another protocol the gateway does not
   * speak now (a draft request without `--experimental-protocol`), to say so in the 412.
   */
  readonly missingVersionHint?: (exchange: Exchange) => string | undefined
  /**
   * Upstream mode: true for a path outside the collection that belongs to the application behind the
   * gateway. A creation (`POST` with `Tus-Resumable`) there makes an upload delivered to it once complete.
   */
  readonly upstreamPath?: (exchange: Exchange) => boolean
}

/**
 * tus 1.0.0 with the creation, creation-with-upload, creation-defer-length, termination, checksum,
 * checksum-trailer, expiration, concatenation and concatenation-unfinished extensions (as far as the
 * store and the expiration policy allow): parses headers into core commands and core results into responses.
 * Throws HeaderError, RequestRejected and core errors; the router turns them into responses.
 */
export class TusCodec implements Codec {
  readonly protocol = 'tus-v1'
  /** T-05: every response carries Tus-Resumable, OPTIONS responses included. */
  readonly commonHeaders: OutgoingHttpHeaders = { 'tus-resumable': TUS_VERSION }
  readonly #service: UploadService
  readonly #options: TusCodecOptions

  constructor(service: UploadService, options: TusCodecOptions) {
    this.#service = service
    this.#options = options
  }

  /** T-07/T-24: only what the store supports is announced. */
  get extensions(): string[] {
    const { capabilities, expiration } = this.#service.features
    const extensions = ['creation', 'creation-with-upload']
    if (capabilities.deferLength) extensions.push('creation-defer-length')
    if (capabilities.terminate) extensions.push('termination')
    // Discarding a chunk whose checksum fails needs a store that can drop it again (T-42, T-47).
    if (capabilities.rollBack) extensions.push('checksum', 'checksum-trailer')
    // T-39: announced only when unfinished uploads do expire.
    if ((expiration?.unfinishedAfterMs ?? 0) > 0) extensions.push('expiration')
    if (capabilities.concat) extensions.push('concatenation', 'concatenation-unfinished')
    return extensions
  }

  // Whether the store can drop a body again, which checksums need (T-43: the chunk MUST be discarded).
  get #discardable(): boolean {
    return this.#service.features.capabilities.rollBack
  }

  /** tus is the protocol of every request no other codec claims. */
  claims(): boolean {
    return true
  }

  /** T-04, T-07, T-08, T-22: discovery. */
  discoveryHeaders(): OutgoingHttpHeaders {
    const headers: OutgoingHttpHeaders = {
      'tus-version': TUS_VERSION,
      'tus-extension': this.extensions.join(','),
    }
    const { maxSize } = this.#service.features
    if (maxSize > 0) headers['tus-max-size'] = String(maxSize)
    // T-45: the checksum algorithms, whenever checksum is announced.
    if (this.#discardable) headers['tus-checksum-algorithm'] = CHECKSUM_ALGORITHMS.join(',')
    return headers
  }

  /** Serves one request; `method` is the effective one (after X-HTTP-Method-Override). */
  async handle(exchange: Exchange, method: string, target: Target | undefined, context: RequestContext): Promise<ProtocolResponse> {
    const upstream = target === undefined && method === 'POST' && this.#options.upstreamPath?.(exchange) === true
    if (target === undefined && !upstream) return textResponse(404, `no upload at ${exchange.path.slice(0, 200)}`)
    const refusal = this.#versionRefusal(exchange, method)
    if (refusal !== undefined) return refusal
    if (target === undefined) return this.#create(exchange, context, true)
    if (target.kind === 'collection') {
      if (method === 'POST') return this.#create(exchange, context)
      throw new RequestRejected(405, `${method} is not allowed on the upload collection; use POST to create an upload`, {
        allow: 'POST, OPTIONS',
      })
    }
    const { id } = target
    switch (method) {
      case 'HEAD':
        return this.#status(exchange, id, context)
      case 'PATCH':
        return this.#append(exchange, id, context)
      case 'DELETE':
        return this.#terminate(id, context)
      case 'GET':
        return this.#download(exchange, id, context)
      default:
        throw new RequestRejected(405, `${method} is not allowed on an upload`, { allow: 'HEAD, PATCH, DELETE, GET, OPTIONS' })
    }
  }

  /** The answer to an error `handle` threw (core facts, malformed headers, refusals); undefined for anything else. */
  errorResponse(error: unknown): ErrorAnswer | undefined {
    if (error instanceof FailedAfterCreation) {
      const answer = this.errorResponse(error.cause)
      return answer && { ...answer, response: { ...answer.response, headers: { ...answer.response.headers, location: error.location } } }
    }
    if (isCoreError(error)) return { response: tusErrorResponse(error), error: error.code }
    if (error instanceof HeaderError) return { response: textResponse(400, error.message), error: 'HEADER' }
    if (error instanceof RequestRejected) return { response: textResponse(error.status, error.message, error.headers), error: 'REJECTED' }
    return undefined
  }

  internalErrorResponse(): ProtocolResponse {
    return textResponse(500, 'Internal Server Error')
  }

  /** T-06: `Tus-Resumable` must name the version we speak; GET and HEAD work without it (as tusd), so browsers and curl can fetch files. */
  #versionRefusal(exchange: Exchange, method: string): ProtocolResponse | undefined {
    const tusResumable = headerValue(exchange.headers, 'tus-resumable')
    if (tusResumable !== undefined) {
      if (tusResumable.trim() === TUS_VERSION) return undefined
      return textResponse(412, `Tus-Resumable ${tusResumable.slice(0, 32)} is not supported; this server speaks ${TUS_VERSION}`, { 'tus-version': TUS_VERSION })
    }
    if (method === 'GET' || method === 'HEAD') return undefined
    const hint = this.#options.missingVersionHint?.(exchange)
    return textResponse(412, `Tus-Resumable: ${TUS_VERSION} is required${hint === undefined ? '' : `; ${hint}`}`, { 'tus-version': TUS_VERSION })
  }

  async #create(exchange: Exchange, context: RequestContext, upstream = false): Promise<ProtocolResponse> {
    const concatHeader = headerValue(exchange.headers, 'upload-concat')
    const concat = concatHeader === undefined ? undefined : parseUploadConcat(concatHeader)
    if (upstream && concat !== undefined) throw new RequestRejected(400, 'Upload-Concat: concatenation works on the upload collection only, not for an application path')
    if (concat?.kind === 'final') return this.#createFinal(exchange, concat.urls, context)
    const length = headerValue(exchange.headers, 'upload-length')
    const defer = headerValue(exchange.headers, 'upload-defer-length')
    // T-26/T-27: exactly one of Upload-Length and Upload-Defer-Length: 1.
    if (length !== undefined && defer !== undefined) {
      throw new HeaderError('Upload-Length', 'must not be sent together with Upload-Defer-Length')
    }
    if (length === undefined && defer === undefined) {
      throw new HeaderError('Upload-Length', 'is required (or Upload-Defer-Length: 1 to declare the length later)')
    }
    if (defer !== undefined) parseDeferLength(defer)
    const metadataHeader = headerValue(exchange.headers, 'upload-metadata')
    // T-37: only an application/offset+octet-stream body is upload data (as tusd).
    const withBody = isOffsetOctetStream(exchange)
    const metadata = metadataHeader === undefined ? {} : parseMetadata(metadataHeader)
    const { upload, answer, delivered } = await this.#createWithLocation(
      exchange,
      {
        target: upstream ? targetOf(exchange, metadata) : undefined,
        length: length === undefined ? undefined : parseNonNegativeInteger('Upload-Length', length),
        metadata,
        body: withBody ? exchange.body : undefined,
        bodySize: withBody ? requestBodySize(exchange) : undefined,
        // T-43: creation-with-upload checks its bytes like a PATCH.
        checks: withBody ? checksumChecks(exchange, this.#discardable) : undefined,
        concat,
      },
      context,
    )
    // T-35, T-37: 201 with Location, and the offset reached by any bytes sent along; T-40: when it expires.
    // Hooks (pre-create, pre-finish) may shape the answer; tusd sets Location after, so they cannot change it.
    const location = this.#options.uploadUrl(exchange, upload.id)
    const created = { status: 201, headers: { 'upload-offset': String(upload.offset), ...expiresHeaders(upload) } }
    const opted = this.#deliveredAnswer(exchange, delivered, upload, delivered === undefined ? {} : locations(delivered, location))
    if (opted !== undefined) return withAnswer(opted, answer)
    const response = withAnswer(created, answer)
    return { ...response, headers: { ...response.headers, location } }
  }

  /**
   * Creates an upload; when the request fails once the upload exists (its body, a shutdown during a final
   * upload's concatenation), the error answer carries its Location, so the client can resume it. An error
   * without an answer of its own stays the bare 500 it is.
   */
  async #createWithLocation(exchange: Exchange, command: CreateCommand, context: RequestContext): Promise<WriteResult> {
    let createdId: string | undefined
    return this.#service.create({ ...command, onCreated: ({ id }) => (createdId = id) }, context).catch((error: unknown) => {
      if (createdId === undefined || this.errorResponse(error) === undefined) throw error
      throw new FailedAfterCreation(error, this.#options.uploadUrl(exchange, createdId))
    })
  }

  /**
   * The application's answer to an upload this request delivered (upstream mode), when the client opted in
   * with `Prefer: return=representation`; the tus fields it needs (`Upload-Offset`, and `extra`) are added.
   * Otherwise the answer is discarded (the `finished` event and the log have its status) and undefined returned.
   */
  #deliveredAnswer(exchange: Exchange, delivered: DeliveryResponse | undefined, upload: Upload, extra: OutgoingHttpHeaders = {}): ProtocolResponse | undefined {
    if (delivered === undefined) return undefined
    if (!RETURN_REPRESENTATION.test(headerValue(exchange.headers, 'prefer') ?? '')) {
      delivered.discard()
      return undefined
    }
    return deliveredResponse(delivered, { 'upload-offset': String(upload.offset), 'preference-applied': 'return=representation', ...extra })
  }

  /** T-51, T-53, T-55: a final upload made of the partial uploads `urls` name, with metadata of its own. */
  async #createFinal(exchange: Exchange, urls: readonly string[], context: RequestContext): Promise<ProtocolResponse> {
    // T-53: the final length is the sum of the partial uploads' lengths; the client MUST NOT send one.
    for (const header of ['Upload-Length', 'Upload-Defer-Length']) {
      if (headerValue(exchange.headers, header.toLowerCase()) !== undefined) {
        throw new HeaderError(header, 'must not be sent with Upload-Concat: final; the length is the sum of the partial uploads')
      }
    }
    // As tusd: a final upload takes no bytes of its own (T-57 forbids appending to it).
    if (isOffsetOctetStream(exchange) && requestBodySize(exchange) !== 0) {
      throw new RequestRejected(403, 'a final upload takes no data: its bytes are those of its partial uploads')
    }
    const metadataHeader = headerValue(exchange.headers, 'upload-metadata')
    const { upload, answer } = await this.#createWithLocation(
      exchange,
      {
        metadata: metadataHeader === undefined ? {} : parseMetadata(metadataHeader),
        concat: finalConcat(urls, (url) => this.#options.uploadIdOf(exchange, url)),
      },
      context,
    )
    // T-58: the offset is shown once the concatenation is done, and not before.
    const offset = isComplete(upload) ? { 'upload-offset': String(upload.offset) } : {}
    const response = withAnswer({ status: 201, headers: { ...offset, ...expiresHeaders(upload) } }, answer)
    return { ...response, headers: { ...response.headers, location: this.#options.uploadUrl(exchange, upload.id) } }
  }

  async #status(exchange: Exchange, id: string, context: RequestContext): Promise<ProtocolResponse> {
    // Upstream mode: a tus client asks for the offset before it resumes, and never completes an upload again once
    // every byte is there, so this request delivers an upload whose delivery failed (its answer is discarded).
    const upload = await this.#service.status(id, context, { deliver: true })
    // T-10, T-11, T-14, T-29, T-33; T-40, T-58 to T-61.
    const urlOf = (partial: string): string => this.#options.uploadUrl(exchange, partial)
    return { status: 200, headers: { ...stateHeaders(upload, urlOf), 'cache-control': 'no-store' } }
  }

  async #append(exchange: Exchange, id: string, context: RequestContext): Promise<ProtocolResponse> {
    // T-16: the media type is checked before anything else.
    if (!isOffsetOctetStream(exchange)) {
      throw new RequestRejected(415, `Content-Type must be ${OFFSET_OCTET_STREAM}`)
    }
    const offset = headerValue(exchange.headers, 'upload-offset')
    if (offset === undefined) throw new HeaderError('Upload-Offset', 'is required')
    const length = headerValue(exchange.headers, 'upload-length')
    const { upload, answer, delivered } = await this.#service.append(
      id,
      {
        offset: parseNonNegativeInteger('Upload-Offset', offset),
        length: length === undefined ? undefined : parseNonNegativeInteger('Upload-Length', length),
        body: exchange.body,
        bodySize: requestBodySize(exchange),
        // T-43, T-47: an Upload-Checksum header or trailer makes the body count all or nothing.
        checks: checksumChecks(exchange, this.#discardable),
      },
      context,
    )
    const opted = this.#deliveredAnswer(exchange, delivered, upload)
    if (opted !== undefined) return withAnswer(opted, answer)
    // T-18: 204 with the new offset; T-40: Upload-Expires in every PATCH response of an expiring upload; pre-finish may shape it.
    return withAnswer({ status: 204, headers: { 'upload-offset': String(upload.offset), ...expiresHeaders(upload) } }, answer)
  }

  async #terminate(id: string, context: RequestContext): Promise<ProtocolResponse> {
    const answer = await this.#service.terminate(id, context)
    // T-49: 204 (pre-terminate may shape it).
    return withAnswer({ status: 204, headers: {} }, answer)
  }

  async #download(exchange: Exchange, id: string, context: RequestContext): Promise<ProtocolResponse> {
    const rangeHeader = headerValue(exchange.headers, 'range')
    const ifRange = headerValue(exchange.headers, 'if-range')
    const { upload, range, stream } = await this.#service.read(
      id,
      (size) => {
        // RFC 9110 §13.1.5: a Range whose If-Range does not match is ignored.
        if (ifRange !== undefined && ifRange !== entityTag(id, size)) return undefined
        const request = parseRange(rangeHeader, size)
        if (request.kind === 'unsatisfiable') {
          throw new RequestRejected(416, `Range "${rangeHeader}" is outside the ${size} bytes of this upload`, {
            'content-range': `bytes */${size}`,
          })
        }
        return request.kind === 'partial' ? request.range : undefined
      },
      context,
    )
    const size = upload.offset
    const contentType = downloadContentType(upload.metadata.filetype)
    const codings = contentCodings(upload.metadata['content-encoding'])
    const headers: OutgoingHttpHeaders = {
      'content-type': contentType,
      ...(codings === undefined ? {} : { 'content-encoding': codings }),
      'content-disposition': contentDisposition(contentType, upload.metadata.filename),
      'content-length': String(range === undefined ? size : range.end - range.start),
      'accept-ranges': 'bytes',
      etag: entityTag(id, size),
      // The file's bytes are the client's: never let a browser run them as our page.
      'content-security-policy': "default-src 'none'; sandbox",
    }
    if (range === undefined) return { status: 200, headers, body: stream }
    headers['content-range'] = `bytes ${range.start}-${range.end - 1}/${size}`
    return { status: 206, headers, body: stream }
  }
}

// A finished upload never changes, so its id and size name its bytes exactly (a strong validator).
function entityTag(id: string, size: number): string {
  return `"${id}-${size}"`
}

/** Headers describing an upload's state (HEAD); `urlOf` names a final upload's partial uploads. */
function stateHeaders(upload: Upload, urlOf: (id: string) => string): OutgoingHttpHeaders {
  const final = upload.concat?.kind === 'final'
  const headers: OutgoingHttpHeaders = {}
  // T-58: a final upload shows its offset only once concatenated (then it equals its length); T-10, T-59 otherwise.
  if (!final || isComplete(upload)) headers['upload-offset'] = String(upload.offset)
  if (upload.length !== undefined) headers['upload-length'] = String(upload.length)
  // T-60: a final upload's length is unknown only until its partial uploads' are; the client deferred nothing.
  else if (!final) headers['upload-defer-length'] = '1'
  if (Object.keys(upload.metadata).length > 0) headers['upload-metadata'] = serializeMetadata(upload.metadata)
  // T-61: partial and final uploads echo their Upload-Concat.
  if (upload.concat !== undefined) headers['upload-concat'] = serializeUploadConcat(upload.concat, urlOf)
  return { ...headers, ...expiresHeaders(upload) }
}

/**
 * The request a tus creation to an application path stands for (upstream mode): its end-to-end headers
 * without the tus fields, and the representation's media type and file name from the `filetype` and
 * `filename` metadata (tus carries them there; `application/offset+octet-stream` frames the upload only).
 */
function targetOf(exchange: Exchange, metadata: Metadata): UploadTarget {
  const target = uploadTargetOf(exchange, 'POST', TUS_FIELDS)
  const { 'content-type': _framing, ...headers } = target.headers
  const contentType = downloadContentType(metadata.filetype)
  const filename = metadata.filename
  return {
    ...target,
    headers: {
      ...headers,
      'content-type': contentType,
      ...(filename === undefined || filename === null || filename === '' ? {} : { 'content-disposition': contentDisposition('', filename) }),
    },
  }
}

function isOffsetOctetStream(exchange: Exchange): boolean {
  return mediaType(exchange.headers) === OFFSET_OCTET_STREAM
}

/**
 * T-35: a creation's Location names the upload, even with the application's answer (tus-js-client reads it to
 * resume); the application's own Location, if any, goes on as Application-Location. Not in a redirect (3xx): its
 * Location is where the client is sent, so it stays the application's.
 */
function locations(delivered: DeliveryResponse, upload: string): OutgoingHttpHeaders {
  const own = delivered.headers.location
  if (delivered.status >= 300 && delivered.status < 400 && own !== undefined) return {}
  return { location: upload, ...(own === undefined ? {} : { 'application-location': typeof own === 'string' ? own : [...own] }) }
}
