import type { OutgoingHttpHeaders } from 'node:http'
import { BodyIncomplete, LengthBelowOffset, LengthExceeded, LengthMismatch, UploadExpired, UploadNotFound } from '../../model/errors.js'
import type { UploadService } from '../../core/service.js'
import { isComplete, type Upload } from '../../model/upload.js'
import type { Exchange } from '../../transport/exchange.js'
import { HeaderError, RequestRejected } from '../header-error.js'
import { requestBodySize } from '../http/body-size.js'
import { headerValue } from '../http/header-value.js'
import { mediaType } from '../http/media-type.js'
import type { ProtocolResponse } from '../response.js'
import type { Target } from '../target.js'
import { BodyTap } from './body-tap.js'
import { completedUploadGone, completedUploadInconsistent, refuseAppendToCompleted } from './completed-upload.js'
import { ContentDigestCheck, DigestComputer, requestDigests, type DigestAlgorithm } from './digests.js'
import { knownProblem } from './error-problem.js'
import { completenessField, displayName, DraftFields, indicatedLength, rejectFields } from './fields.js'
import { checkAppendSize, maxContent, offersResumption, uploadLimitValue, type UploadLimits } from './limits.js'
import { metadataFromRequest } from './metadata.js'
import { problemResponse } from './problem.js'
import { reportProgress } from './progress.js'
import { DraftRefusal } from './refusal.js'
import { checkRepresentation, representationAlgorithms } from './representation.js'
import { dialectOf, INTEROP_VERSION_FIELD, type DraftDialect, type InteropVersion } from './versions.js'

const PARTIAL_UPLOAD = 'application/partial-upload'
// Methods that cannot carry the content of an upload creation (-01 §5: "all methods are allowed with the exception of ...").
const NOT_CREATION_METHODS = new Set(['GET', 'HEAD', 'DELETE', 'OPTIONS', 'CONNECT', 'TRACE'])

export interface DraftCodecOptions {
  /** Absolute URL of an upload from its id, for `Location`. */
  readonly uploadUrl: (exchange: Exchange, id: string) => string
  readonly limits: UploadLimits
  /** How often progress 104s are sent while content streams in; 0 sends none. */
  readonly progressIntervalMs: number
}

/**
 * The IETF draft "Resumable Uploads for HTTP", interop versions 3 to 10 on one endpoint: parses a
 * request with its version's row of `versions.ts` into core commands, and core results and errors
 * into that version's answers. Throws HeaderError, RequestRejected, DraftRefusal and core errors;
 * `errorResponse` turns each into a problem (RFC 9457).
 */
export class DraftCodec {
  readonly #service: UploadService
  readonly #options: DraftCodecOptions

  constructor(service: UploadService, options: DraftCodecOptions) {
    this.#service = service
    this.#options = options
  }

  /** True for a request that speaks the draft (it carries `Upload-Draft-Interop-Version`, App. B). */
  static isDraftRequest(exchange: Exchange): boolean {
    return exchange.headers[INTEROP_VERSION_FIELD] !== undefined
  }

  /**
   * What an `OPTIONS` response adds for the draft: `Upload-Limit`, `Accept-Patch`
   * (R-28, harmless where not required), and the request's version if it gave a known one.
   */
  optionsHeaders(exchange: Exchange): OutgoingHttpHeaders {
    const dialect = this.#dialect(exchange)
    const lifetimeKey = dialect.row.uploadLimit === false ? 'max-age' : dialect.row.uploadLimit.lifetimeKey
    return {
      'upload-limit': uploadLimitValue(this.#options.limits, lifetimeKey, this.#lifetimeOfNewUploads()),
      'accept-patch': PARTIAL_UPLOAD,
      ...echoOf(dialect),
    }
  }

  /** Serves one draft request; `method` is the effective one (after X-HTTP-Method-Override). */
  async handle(exchange: Exchange, method: string, target: Target | undefined): Promise<ProtocolResponse> {
    const dialect = this.#dialect(exchange)
    const response = await this.#dispatch(exchange, method, target, dialect)
    return { ...response, headers: { ...response.headers, ...echoOf(dialect) } }
  }

  /**
   * The answer to an error thrown by `handle`, as a problem in the request's version; undefined for
   * an error it does not know (the router answers those with a bare 500). `error` names it for the log.
   */
  errorResponse(thrown: unknown, exchange: Exchange, method: string, target: Target | undefined): { response: ProtocolResponse; error: string } | undefined {
    const known = knownProblem(thrown)
    if (known === undefined) return undefined
    const dialect = this.#dialect(exchange)
    const { row } = dialect
    const carriesContent = target?.kind === 'collection' || method === 'PATCH'
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

  async #dispatch(exchange: Exchange, method: string, target: Target | undefined, dialect: DraftDialect): Promise<ProtocolResponse> {
    if (target === undefined) throw new RequestRejected(404, `no upload at ${exchange.path.slice(0, 200)}`)
    if (target.kind === 'collection') {
      if (NOT_CREATION_METHODS.has(method)) {
        throw new RequestRejected(405, `${method} cannot create an upload; send its content with POST`, { allow: 'POST, PUT, PATCH, OPTIONS' })
      }
      return this.#create(exchange, dialect)
    }
    const { row } = dialect
    switch (method) {
      case 'HEAD':
        return this.#retrieveOffset(exchange, target.id, row)
      case 'GET':
        if (row.getRetrievesOffset) return this.#retrieveOffset(exchange, target.id, row)
        break
      case 'PATCH':
        try {
          return await this.#append(exchange, target.id, dialect)
        } catch (error) {
          throw await this.#withUploadState(error, row, target.id)
        }
      case 'DELETE':
        return this.#cancel(exchange, target.id, row)
    }
    const allow = row.getRetrievesOffset ? 'HEAD, GET, PATCH, DELETE, OPTIONS' : 'HEAD, PATCH, DELETE, OPTIONS'
    throw new RequestRejected(405, `${method} is not allowed on an upload resource`, { allow })
  }

  /** §4.2 (-01 §5): a request carrying the completeness field to the collection creates an upload. */
  async #create(exchange: Exchange, dialect: DraftDialect): Promise<ProtocolResponse> {
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
    const tap = new BodyTap(exchange, bodySize === undefined ? maxContent(row, limits, content) : undefined)
    // The whole representation passes through this request: its digests are computed on the way.
    const algorithms = [...Object.keys(digests.repr ?? {}), ...digests.wanted] as DigestAlgorithm[]
    const representation = algorithms.length > 0 ? new DigestComputer(algorithms) : undefined
    if (representation !== undefined) tap.observe((chunk) => representation.update(chunk))
    const checks = digests.content === undefined ? [] : [new ContentDigestCheck(digests.content)]
    let created: Upload | undefined
    let location = ''
    let stopProgress = (): void => {}
    try {
      const upload = await this.#service.create(
        {
          length,
          metadata: metadataFromRequest(exchange.headers),
          body: tap,
          bodySize,
          checks,
          complete,
          digests: digests.repr === undefined && digests.wanted.length === 0 ? undefined : { expected: digests.repr, wanted: digests.wanted },
          onCreated: (upload) => {
            created = upload
            location = this.#options.uploadUrl(exchange, upload.id)
            // announce the upload resource before reading the content, only to a known version.
            if (!resumable || echo === undefined) return
            exchange.sendInformational(104, { location, [INTEROP_VERSION_FIELD]: echo, ...this.#limitHeaders(row, undefined) })
            if (checks.length === 0) stopProgress = this.#progress(exchange, tap, 0, echo, row, length)
          },
        },
        { signal: exchange.signal },
      )
      const answer = complete ? await this.#completed(exchange, upload, digests.wanted, representation) : {}
      // the same Location as the 104, the completeness, the offset reached.
      return {
        status: 201,
        headers: {
          location,
          ...completenessField(row, complete),
          'upload-offset': String(upload.offset),
          ...this.#limitHeaders(row, upload),
          ...answer,
        },
      }
    } catch (error) {
      const failure = await this.#failed(error, { row, tap, upload: created, discard: !resumable })
      throw await this.#withUploadState(failure, row, created?.id)
    } finally {
      stopProgress()
    }
  }

  /** §4.3: `HEAD` (and from -12 `GET`) answers the upload's state. */
  async #retrieveOffset(exchange: Exchange, id: string, row: InteropVersion): Promise<ProtocolResponse> {
    rejectFields(exchange.headers, row.forbiddenOnRetrieval, 'an offset retrieval')
    const upload = await this.#service.status(id, { signal: exchange.signal })
    // R-44 to R-48 (and -01 to -05: 204).
    const headers: OutgoingHttpHeaders = {
      'upload-offset': String(upload.offset),
      ...completenessField(row, isComplete(upload)),
      ...this.#limitHeaders(row, upload),
      'cache-control': 'no-store',
    }
    if (row.uploadLength && upload.length !== undefined) headers['upload-length'] = String(upload.length)
    return { status: 204, headers }
  }

  /** §4.4: `PATCH` appends its content at `Upload-Offset`. */
  async #append(exchange: Exchange, id: string, dialect: DraftDialect): Promise<ProtocolResponse> {
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
    const tap = new BodyTap(exchange, bodySize === undefined ? maxContent(row, limits, content) : undefined)
    let representation: DigestComputer | undefined
    const checks = digests.content === undefined ? [] : [new ContentDigestCheck(digests.content)]
    let before: Upload | undefined
    let stopProgress = (): void => {}
    const location = this.#options.uploadUrl(exchange, id)
    try {
      const upload = await this.#service.append(
        id,
        {
          offset,
          length,
          body: tap,
          bodySize,
          checks,
          complete,
          precondition: (current) => {
            before = current
            if (isComplete(current)) refuseAppendToCompleted(row, bodySize, complete, location)
            // An append from offset 0 that completes carries the whole representation: hash it on the way.
            const algorithms = representationAlgorithms(current, digests.wanted)
            if (complete && offset === 0 && algorithms.length > 0) {
              const computer = new DigestComputer(algorithms)
              tap.observe((chunk) => computer.update(chunk))
              representation = computer
            }
            if (echo !== undefined && checks.length === 0) stopProgress = this.#progress(exchange, tap, offset, echo, row, current.length ?? length)
          },
        },
        { signal: exchange.signal },
      )
      // R-60, -10/-11: the service appended nothing to the completed upload; the content (of unknown size) was empty.
      if (before !== undefined && isComplete(before) && row.appendToCompleted === 'gone-or-inconsistent') throw completedUploadGone(location)
      const answer = complete ? await this.#completed(exchange, upload, digests.wanted, representation) : {}
      // NOTES §6.2: servers of the URLSession era always named the upload in a completing answer; R-38 allows it.
      if (complete) answer.location = location
      return {
        status: complete ? row.appendStatus.complete : row.appendStatus.incomplete,
        // tus-js-client needs Upload-Offset in every append response (NOTES §3.3); R-63: the completeness.
        headers: { 'upload-offset': String(upload.offset), ...completenessField(row, complete), ...this.#limitHeaders(row, upload), ...answer },
      }
    } catch (error) {
      const wasComplete = before !== undefined && isComplete(before)
      throw await this.#failed(error, { row, tap, upload: before, wasComplete })
    } finally {
      stopProgress()
    }
  }

  /** §4.5: `DELETE` cancels the upload. */
  async #cancel(exchange: Exchange, id: string, row: InteropVersion): Promise<ProtocolResponse> {
    rejectFields(exchange.headers, row.forbiddenOnCancel, 'a cancellation')
    await this.#service.terminate(id, { signal: exchange.signal })
    // 204 (a MUST up to -08).
    return { status: 204, headers: {} }
  }

  /** Headers for a response that completes the upload: its representation digests, checked and answered. */
  async #completed(
    exchange: Exchange,
    upload: Upload,
    wanted: readonly DigestAlgorithm[],
    representation: DigestComputer | undefined,
  ): Promise<OutgoingHttpHeaders> {
    const field = await checkRepresentation(this.#service, upload, wanted, representation?.digests(), { signal: exchange.signal })
    return field === undefined ? {} : { 'repr-digest': field }
  }

  /**
   * Turns a failure into what the client must hear, after the side effects the draft asks for:
   * content past the limit of a chunked body is a 413; from -06 an inconsistent length invalidates
   * the upload (R-61: terminated, so every later request gets 404); a failed creation that offered
   * no resumption leaves nothing behind.
   */
  async #failed(
    error: unknown,
    context: { row: InteropVersion; tap: BodyTap; upload: Upload | undefined; wasComplete?: boolean; discard?: boolean },
  ): Promise<unknown> {
    const { row, tap, upload } = context
    const id = upload?.id
    if (id !== undefined && context.discard === true) await this.#invalidate(id)
    if (error instanceof BodyIncomplete && tap.limitReached) {
      const { maxAppendSize } = this.#options.limits
      return new DraftRefusal('APPEND_TOO_LARGE', {
        status: 413,
        detail: `the request content exceeds max-append-size (${maxAppendSize} bytes); ${error.offset} bytes are stored`,
      })
    }
    const inconsistent = error instanceof LengthExceeded || error instanceof LengthMismatch || error instanceof LengthBelowOffset
    if (inconsistent && context.wasComplete === true) {
      // An append to a completed upload never changes it, so nothing is invalidated.
      return completedUploadInconsistent()
    }
    if (inconsistent && row.lengthExceeded === 'invalidate' && id !== undefined && context.discard !== true) await this.#invalidate(id)
    return error
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
      { ...problem, headers: { 'upload-offset': String(upload.offset), ...problem.headers }, complete: problem.complete ?? isComplete(upload) },
      { cause: error },
    )
  }

  async #invalidate(id: string): Promise<void> {
    // Best effort, and not tied to this request's signal: its client may be gone already.
    await this.#service.terminate(id, { signal: new AbortController().signal }).catch(() => undefined)
  }

  #progress(exchange: Exchange, tap: BodyTap, start: number, echo: string, row: InteropVersion, length: number | undefined): () => void {
    const intervalMs = this.#options.progressIntervalMs
    if (!row.progressInformational || intervalMs <= 0) return () => {}
    return reportProgress({ exchange, tap, start, echo, intervalMs, length })
  }

  /** `Upload-Limit` for rows that have it; `upload` gives the lifetime left, else a new upload's. */
  #limitHeaders(row: InteropVersion, upload: Upload | undefined): Record<string, string> {
    if (row.uploadLimit === false) return {}
    const lifetime =
      upload?.expiresAt === undefined ? this.#lifetimeOfNewUploads() : Math.ceil((upload.expiresAt - Date.now()) / 1000)
    return { 'upload-limit': uploadLimitValue(this.#options.limits, row.uploadLimit.lifetimeKey, lifetime) }
  }

  #lifetimeOfNewUploads(): number | undefined {
    const after = this.#service.expiration?.unfinishedAfterMs ?? 0
    return after > 0 ? Math.floor(after / 1000) : undefined
  }
}

function echoOf(dialect: DraftDialect): OutgoingHttpHeaders {
  return dialect.echo === undefined ? {} : { [INTEROP_VERSION_FIELD]: dialect.echo }
}

