import type { OutgoingHttpHeaders } from 'node:http'
import type { ProgressListener, RequestContext } from '../../core/commands.js'
import type { UploadService } from '../../core/service.js'
import { LengthBelowOffset, LengthExceeded, LengthMismatch, UploadExpired, UploadNotFound } from '../../model/errors.js'
import { awaitsDelivery, isComplete, type Upload, type UploadTarget } from '../../model/upload.js'
import type { Exchange } from '../../transport/exchange.js'
import { withAnswer } from '../answer.js'
import type { Codec, ErrorAnswer } from '../codec.js'
import { HeaderError, RequestRejected } from '../header-error.js'
import { requestBodySize } from '../http/body-size.js'
import { headerValue } from '../http/header-value.js'
import { mediaType } from '../http/media-type.js'
import { deliveredResponse, uploadTargetOf } from '../http/upload-target.js'
import type { DeliveryResponse } from '../../core/delivery.js'
import type { ProtocolResponse } from '../response.js'
import type { Target } from '../target.js'
import { completedUploadGone, completedUploadInconsistent, refuseAppendToCompleted } from './completed-upload.js'
import { ContentDigestCheck, requestDigests } from './digests.js'
import { knownProblem } from './error-problem.js'
import { completenessField, displayName, DraftFields, indicatedLength, rejectFields } from './fields.js'
import { checkAppendSize, maxContent, offersResumption, uploadLimitValue, type UploadLimits } from './limits.js'
import { metadataFromRequest } from './metadata.js'
import { problemResponse } from './problem.js'
import { progressInformationals } from './progress.js'
import { DraftRefusal } from './refusal.js'
import { RepresentationCheck } from './representation.js'
import { dialectOf, INTEROP_VERSION_FIELD, type DraftDialect, type InteropVersion } from './versions.js'
import { TUS_FIELDS } from '../tus-v1/tus-fields.js'

const PARTIAL_UPLOAD = 'application/partial-upload'
// Methods that cannot carry the content of an upload creation (-01 §5: "all methods are allowed with the exception of ...").
const NOT_CREATION_METHODS = new Set(['GET', 'HEAD', 'DELETE', 'OPTIONS', 'CONNECT', 'TRACE'])
// The draft's fields describe the upload, not the representation: the application does not get them (upstream
// mode). `Content-Digest` is of one request's content; `Want-Repr-Digest` is answered by the gateway. Nor does it
// get the tus fields a draft client may send beside them (tus-js-client's draft modes send `Upload-Metadata`);
// the draft codec reads none of them.
const DRAFT_FIELDS: ReadonlySet<string> = new Set([
  'upload-complete',
  'upload-incomplete',
  'upload-length',
  'upload-offset',
  INTEROP_VERSION_FIELD,
  'content-digest',
  'want-repr-digest',
  ...TUS_FIELDS,
])

export interface DraftCodecOptions {
  /** Absolute URL of an upload from its id, for `Location`. */
  readonly uploadUrl: (exchange: Exchange, id: string) => string
  readonly limits: UploadLimits
  /** How often progress 104s are sent while content streams in; 0 sends none. */
  readonly progressIntervalMs: number
  /**
   * Upstream mode: true for a path outside the collection that belongs to the application behind the
   * gateway. A creation there makes an upload that is delivered to it as the creation request once complete,
   * and the request that completes it gets the application's answer.
   */
  readonly upstreamPath?: (exchange: Exchange) => boolean
}

/** Whether a request carries the completeness field of its version: only such a request creates an upload. */
export function isDraftCreation(exchange: Exchange, method: string): boolean {
  if (!isDraftRequest(exchange) || NOT_CREATION_METHODS.has(method)) return false
  const { row } = dialectOf(headerValue(exchange.headers, INTEROP_VERSION_FIELD))
  return exchange.headers[row.completeness] !== undefined
}

/**
 * The IETF draft "Resumable Uploads for HTTP", interop versions 3 to 10 on one endpoint: parses a
 * request with its version's row of `versions.ts` into core commands, and core results and errors
 * into that version's answers. Throws HeaderError, RequestRejected, DraftRefusal and core errors;
 * `errorResponse` turns each into a problem (RFC 9457).
 */
export class DraftCodec implements Codec {
  readonly protocol = 'ietf-draft'
  readonly commonHeaders: OutgoingHttpHeaders = {}
  readonly #service: UploadService
  readonly #options: DraftCodecOptions

  constructor(service: UploadService, options: DraftCodecOptions) {
    this.#service = service
    this.#options = options
  }

  /** True for a request that speaks the draft (it carries `Upload-Draft-Interop-Version`, App. B); OPTIONS is for everyone. */
  claims(exchange: Exchange, method: string): boolean {
    return method !== 'OPTIONS' && isDraftRequest(exchange)
  }

  /** The request's interop version (`unknown` for a missing or unknown one, served as the newest). */
  versionOf(exchange: Exchange): string {
    return this.#dialect(exchange).echo ?? 'unknown'
  }

  /**
   * What an `OPTIONS` response adds for the draft: `Upload-Limit`, `Accept-Patch`
   * (R-28, harmless where not required), and the request's version if it gave a known one.
   */
  discoveryHeaders(exchange: Exchange): OutgoingHttpHeaders {
    const dialect = this.#dialect(exchange)
    const lifetimeKey = dialect.row.uploadLimit === false ? 'max-age' : dialect.row.uploadLimit.lifetimeKey
    return {
      'upload-limit': uploadLimitValue(this.#options.limits, lifetimeKey, this.#lifetimeOfNewUploads()),
      'accept-patch': PARTIAL_UPLOAD,
      ...echoOf(dialect),
    }
  }

  /** Serves one draft request; `method` is the effective one (after X-HTTP-Method-Override). */
  async handle(exchange: Exchange, method: string, target: Target | undefined, context: RequestContext): Promise<ProtocolResponse> {
    const dialect = this.#dialect(exchange)
    const response = await this.#dispatch(exchange, method, target, dialect, context)
    return { ...response, headers: { ...response.headers, ...echoOf(dialect) } }
  }

  /**
   * The answer to an error thrown by `handle`, as a problem in the request's version; undefined for
   * an error it does not know (the router answers those with a bare 500). `error` names it for the log.
   */
  errorResponse(thrown: unknown, exchange: Exchange, method: string, target: Target | undefined): ErrorAnswer | undefined {
    const found = knownProblem(thrown)
    if (found === undefined) return undefined
    const dialect = this.#dialect(exchange)
    const { row } = dialect
    // R-52, R-68 (-01 to -05): an expired upload is no longer active: 404, as one that is gone.
    const known = thrown instanceof UploadExpired && row.expiredIsNotFound ? { ...found, problem: { ...found.problem, status: 404 } } : found
    const upstreamCreation = target === undefined && this.#options.upstreamPath?.(exchange) === true && isDraftCreation(exchange, method)
    const carriesContent = target?.kind === 'collection' || method === 'PATCH' || upstreamCreation
    const headers: OutgoingHttpHeaders = { ...echoOf(dialect) }
    if (carriesContent) {
      // -06 on: a response to a request that did not complete the upload carries `Upload-Complete: ?0`;
      // up to -05 the field tells the upload's state, known only where `#withUploadState` read it.
      const complete = known.problem.complete ?? (row.failureFields === 'not-complete' ? false : undefined)
      if (complete !== undefined) Object.assign(headers, completenessField(row, complete))
      // Pending -12: a refusal caused by limits carries them (sent on every refusal of content: harmless).
      Object.assign(headers, this.#limitHeaders(row, undefined))
    }
    const response = problemResponse(row, { ...known.problem, headers: { ...headers, ...known.problem.headers } })
    return { response, error: known.error }
  }

  /** A bare 500 problem (no internal text, STYLE.md) in the request's version. */
  internalErrorResponse(exchange: Exchange): ProtocolResponse {
    const dialect = this.#dialect(exchange)
    return problemResponse(dialect.row, { status: 500, detail: 'the server failed to complete the request; retrieve the offset to resume', headers: echoOf(dialect) })
  }

  #dialect(exchange: Exchange): DraftDialect {
    return dialectOf(headerValue(exchange.headers, INTEROP_VERSION_FIELD))
  }

  async #dispatch(exchange: Exchange, method: string, target: Target | undefined, dialect: DraftDialect, context: RequestContext): Promise<ProtocolResponse> {
    if (target === undefined) {
      // Upstream mode, §4.2: "a resumable upload from any request that can carry content".
      if (this.#options.upstreamPath?.(exchange) === true && isDraftCreation(exchange, method)) {
        return this.#create(exchange, dialect, context, uploadTargetOf(exchange, method, DRAFT_FIELDS))
      }
      throw new RequestRejected(404, `no upload at ${exchange.path.slice(0, 200)}`)
    }
    if (target.kind === 'collection') {
      if (NOT_CREATION_METHODS.has(method)) {
        throw new RequestRejected(405, `${method} cannot create an upload; send its content with POST`, { allow: 'POST, PUT, PATCH, OPTIONS' })
      }
      return this.#create(exchange, dialect, context)
    }
    const { row } = dialect
    switch (method) {
      case 'HEAD':
        return this.#retrieveOffset(exchange, target.id, row, context)
      case 'GET':
        if (row.getRetrievesOffset) return this.#retrieveOffset(exchange, target.id, row, context)
        break
      case 'PATCH':
        try {
          return await this.#append(exchange, target.id, dialect, context)
        } catch (error) {
          throw await this.#withUploadState(error, row, target.id)
        }
      case 'DELETE':
        return this.#cancel(exchange, target.id, row, context)
    }
    const allow = row.getRetrievesOffset ? 'HEAD, GET, PATCH, DELETE, OPTIONS' : 'HEAD, PATCH, DELETE, OPTIONS'
    throw new RequestRejected(405, `${method} is not allowed on an upload resource`, { allow })
  }

  /** §4.2 (-01 §5): a request carrying the completeness field to the collection creates an upload. */
  async #create(exchange: Exchange, dialect: DraftDialect, context: RequestContext, target?: UploadTarget): Promise<ProtocolResponse> {
    const { row, echo } = dialect
    const fields = new DraftFields(exchange.headers, row)
    const complete = fields.complete()
    if (complete === undefined) {
      throw new HeaderError(displayName(row.completeness), 'is required to create an upload (?1 if this request carries all of it, ?0 if more follows)')
    }
    const bodySize = requestBodySize(exchange)
    const length = indicatedLength(fields, row, complete, 0, bodySize)
    const { limits } = this.#options
    const content = { size: bodySize, complete, creation: true }
    checkAppendSize(row, limits, content)
    // below min-size (or of unknown length) there is no upload resource to resume; only a
    // request carrying everything can then be accepted, as a plain upload.
    const resumable = offersResumption(row, limits, length)
    if (!resumable && !complete) {
      throw new DraftRefusal('BELOW_MIN_SIZE', {
        status: 400,
        detail: `resumable uploads start at min-size (${limits.minSize} bytes) and need a known length; send the content in one request with ${displayName(row.completeness)} set`,
      })
    }
    const digests = requestDigests(fields, row, true)
    const checks = digests.content === undefined ? [] : [new ContentDigestCheck(digests.content)]
    // The whole representation passes through this request: its digests are computed on the way.
    const representation = complete ? new RepresentationCheck(digests.wanted, 0) : undefined
    const announce = resumable && echo !== undefined
    let created: Upload | undefined
    let location = ''
    try {
      const { upload, answer, delivered } = await this.#service.create(
        {
          target,
          length,
          metadata: metadataFromRequest(exchange.headers),
          body: exchange.body,
          bodySize,
          maxBytes: bodySize === undefined ? maxContent(row, limits, content) : undefined,
          checks,
          complete,
          completionCheck: representation,
          onProgress: announce ? this.#progress(exchange, echo, row) : undefined,
          removeWhenInconsistent: row.lengthExceeded === 'invalidate',
          // A failed creation that offered no resumption leaves nothing behind.
          removeOnFailure: !resumable,
          digests: digests.repr === undefined && digests.wanted.length === 0 ? undefined : { expected: digests.repr, wanted: digests.wanted },
          onCreated: (upload) => {
            created = upload
            location = this.#options.uploadUrl(exchange, upload.id)
            // announce the upload resource before reading the content, only to a known version.
            if (announce) exchange.sendInformational(104, { location, [INTEROP_VERSION_FIELD]: echo, ...this.#limitHeaders(row, undefined) })
          },
        },
        context,
      )
      // R-35, upstream mode: the application's answer to the whole representation is the answer.
      if (delivered !== undefined) return withAnswer(this.#delivered(delivered, row, upload), answer)
      // the same Location as the 104, the completeness, the offset reached.
      const response = withAnswer(
        {
          status: 201,
          headers: {
            ...completenessField(row, complete),
            'upload-offset': String(upload.offset),
            ...this.#limitHeaders(row, upload),
            ...reprDigestField(representation),
          },
        },
        answer,
      )
      return { ...response, headers: { ...response.headers, location } }
    } catch (error) {
      throw await this.#withUploadState(this.#failed(error, false), row, created?.id)
    }
  }

  /** §4.3: `HEAD` (and from -12 `GET`) answers the upload's state. */
  async #retrieveOffset(exchange: Exchange, id: string, row: InteropVersion, context: RequestContext): Promise<ProtocolResponse> {
    rejectFields(exchange.headers, row.forbiddenOnRetrieval, 'an offset retrieval')
    const upload = await this.#service.status(id, context)
    // R-44 to R-48 (and -01 to -05: 204).
    const headers: OutgoingHttpHeaders = {
      'upload-offset': String(upload.offset),
      // -13 §4.3.2: complete means "a final response was produced": one its application has not given is not.
      ...completenessField(row, isComplete(upload) && !awaitsDelivery(upload)),
      ...this.#limitHeaders(row, upload),
      'cache-control': 'no-store',
    }
    if (row.uploadLength && upload.length !== undefined) headers['upload-length'] = String(upload.length)
    return { status: 204, headers }
  }

  /** §4.4: `PATCH` appends its content at `Upload-Offset`. */
  async #append(exchange: Exchange, id: string, dialect: DraftDialect, context: RequestContext): Promise<ProtocolResponse> {
    const { row, echo } = dialect
    // R-53 (-04 on): the patch document is application/partial-upload; RFC 5789 §2.2: 415 with Accept-Patch.
    if (row.partialUploadMediaType && mediaType(exchange.headers) !== PARTIAL_UPLOAD) {
      throw new RequestRejected(415, `Content-Type must be ${PARTIAL_UPLOAD}`, { 'accept-patch': PARTIAL_UPLOAD })
    }
    const fields = new DraftFields(exchange.headers, row)
    const offset = fields.integer('upload-offset')
    if (offset === undefined) throw new HeaderError('Upload-Offset', 'is required to append (a non-negative integer)')
    // absent means "this is the last part" up to -05; from -06 the field is required.
    const complete = fields.complete() ?? (row.appendWithoutCompleteness === 'complete' ? true : undefined)
    if (complete === undefined) throw new HeaderError(displayName(row.completeness), 'is required to append (?1 if this request ends the upload, ?0 if not)')
    const bodySize = requestBodySize(exchange)
    const length = indicatedLength(fields, row, complete, offset, bodySize)
    const { limits } = this.#options
    const content = { size: bodySize, complete, creation: false }
    checkAppendSize(row, limits, content)
    const digests = requestDigests(fields, row, false)
    const checks = digests.content === undefined ? [] : [new ContentDigestCheck(digests.content)]
    // An append from offset 0 that completes carries the whole representation: hashed on the way.
    const representation = complete ? new RepresentationCheck(digests.wanted, offset) : undefined
    const location = this.#options.uploadUrl(exchange, id)
    let wasComplete = false
    try {
      const { upload, before, answer, delivered } = await this.#service.append(
        id,
        {
          offset,
          length,
          body: exchange.body,
          bodySize,
          maxBytes: bodySize === undefined ? maxContent(row, limits, content) : undefined,
          checks,
          complete,
          completionCheck: representation,
          onProgress: echo === undefined ? undefined : this.#progress(exchange, echo, row),
          removeWhenInconsistent: row.lengthExceeded === 'invalidate',
          precondition: (current) => {
            // An upload that awaits its delivery is completed again by the request that retries it.
            wasComplete = isComplete(current) && !awaitsDelivery(current)
            if (wasComplete) refuseAppendToCompleted(row, bodySize, complete, location)
          },
        },
        context,
      )
      // R-60, -10/-11: the service appended nothing to the completed upload; the content (of unknown size) was empty.
      if (before !== undefined && isComplete(before) && !awaitsDelivery(before) && row.appendToCompleted === 'gone-or-inconsistent') {
        throw completedUploadGone(location)
      }
      if (delivered !== undefined) return withAnswer(this.#delivered(delivered, row, upload), answer)
      // spec/notes.md §6.2: servers of the URLSession era always named the upload in a completing answer; R-38 allows it.
      const named = complete ? { location } : {}
      // tus-js-client needs Upload-Offset in every append response (spec/notes.md §3.3); R-63: the completeness.
      return withAnswer(
        {
          status: complete ? row.appendStatus.complete : row.appendStatus.incomplete,
          headers: { 'upload-offset': String(upload.offset), ...completenessField(row, complete), ...this.#limitHeaders(row, upload), ...reprDigestField(representation), ...named },
        },
        answer,
      )
    } catch (error) {
      throw this.#failed(error, wasComplete)
    }
  }

  /** §4.5: `DELETE` cancels the upload. */
  async #cancel(exchange: Exchange, id: string, row: InteropVersion, context: RequestContext): Promise<ProtocolResponse> {
    rejectFields(exchange.headers, row.forbiddenOnCancel, 'a cancellation')
    const answer = await this.#service.terminate(id, context)
    // 204 (a MUST up to -08).
    return withAnswer({ status: 204, headers: {} }, answer)
  }

  /**
   * What the client must hear of a failure: content or a length for an upload that was complete already is
   * an inconsistent length (R-60; the service changed nothing, and removed nothing).
   */
  #failed(error: unknown, wasComplete: boolean): unknown {
    const inconsistent = error instanceof LengthExceeded || error instanceof LengthMismatch || error instanceof LengthBelowOffset
    return inconsistent && wasComplete ? completedUploadInconsistent() : error
  }

  /**
   * -01 to -05: the answer to a failed creation or append of an upload that is still active carries its
   * `Upload-Offset` and completeness (R-56's "Upload-Offset MUST be in the 409" holds for every failure
   * there). The state is read without the upload's lock, which the request that interrupted this one
   * may hold. Returns the error to throw: `error` itself, or a DraftRefusal with the state.
   */
  async #withUploadState(error: unknown, row: InteropVersion, id: string | undefined): Promise<unknown> {
    if (row.failureFields !== 'upload-state' || id === undefined) return error
    // An upload the service found gone (or expired, its files not yet swept) is not active.
    if (error instanceof UploadNotFound || error instanceof UploadExpired) return error
    const known = knownProblem(error)
    if (known === undefined) return error
    const upload = await this.#service.peek(id)
    if (upload === undefined) return error
    const { problem } = known
    return new DraftRefusal(
      known.error,
      // A 409 already names the offset the upload was checked against, under its lock.
      { ...problem, headers: { 'upload-offset': String(upload.offset), ...problem.headers }, complete: problem.complete ?? (isComplete(upload) && !awaitsDelivery(upload)) },
      { cause: error },
    )
  }

  /**
   * The application's answer to a delivered upload, with `Upload-Complete: ?1` (-13 §4.4.2: the response
   * "MUST include the Upload-Complete header field with a true value"), the offset (tus-js-client reads it on
   * every append response, spec/notes.md §3.3) and the gateway's limits (as every answer about an upload), in
   * place of any the application sent. Its `Location` is the application's, if any.
   */
  #delivered(delivered: DeliveryResponse, row: InteropVersion, upload: Upload): ProtocolResponse {
    return deliveredResponse(delivered, { ...completenessField(row, true), 'upload-offset': String(upload.offset), ...this.#limitHeaders(row, upload) })
  }

  /** Progress 104s for rows that have them, unless they are switched off. */
  #progress(exchange: Exchange, echo: string, row: InteropVersion): ProgressListener | undefined {
    const intervalMs = this.#options.progressIntervalMs
    if (!row.progressInformational || intervalMs <= 0) return undefined
    return progressInformationals(exchange, echo, intervalMs)
  }

  /** `Upload-Limit` for rows that have it; `upload` gives the lifetime left, else a new upload's. */
  #limitHeaders(row: InteropVersion, upload: Upload | undefined): Record<string, string> {
    if (row.uploadLimit === false) return {}
    const lifetime =
      upload?.expiresAt === undefined ? this.#lifetimeOfNewUploads() : Math.ceil((upload.expiresAt - Date.now()) / 1000)
    return { 'upload-limit': uploadLimitValue(this.#options.limits, row.uploadLimit.lifetimeKey, lifetime) }
  }

  #lifetimeOfNewUploads(): number | undefined {
    const after = this.#service.features.expiration?.unfinishedAfterMs ?? 0
    return after > 0 ? Math.floor(after / 1000) : undefined
  }
}

/** True for a request that speaks the draft: it carries `Upload-Draft-Interop-Version` (App. B). */
export function isDraftRequest(exchange: Exchange): boolean {
  return exchange.headers[INTEROP_VERSION_FIELD] !== undefined
}

/** the `Repr-Digest` answered to `Want-Repr-Digest` once the upload is complete. */
function reprDigestField(check: RepresentationCheck | undefined): OutgoingHttpHeaders {
  return check?.field === undefined ? {} : { 'repr-digest': check.field }
}

function echoOf(dialect: DraftDialect): OutgoingHttpHeaders {
  return dialect.echo === undefined ? {} : { [INTEROP_VERSION_FIELD]: dialect.echo }
}

