/**
 * Uploads of the GCS fake (a fake of the GCS JSON API for tests; not GCS): `POST /upload/storage/v1/b/B/o` with
 * `uploadType=media|multipart|resumable`, and the PUTs to a resumable session URI.
 */
import { randomBytes } from 'node:crypto'
import {
  customMetadata, ok, parseJsonObject, preconditions, readJson, type FakeAnswer, type FakeExchange,
} from './gcs-fake-exchange.js'
import {
  FakeGcsError, invalid, objectResource, type FakeGcsState, type ObjectInit, type Preconditions,
} from './gcs-fake-state.js'

/**
 * GCS persists the bytes of a request that does not finish the upload in whole units of 256 KiB only
 * ("chunk size must be a multiple of 256 KiB", cloud.google.com/storage/docs/performing-resumable-uploads); the
 * 308 `Range` tells the client where to resume, and a client that assumes more was kept loses data.
 */
export const RESUMABLE_CHUNK_UNIT = 256 * 1024

interface Session {
  readonly bucket: string
  readonly name: string
  readonly init: ObjectInit
  readonly pre: Preconditions
  readonly parts: Buffer[]
  size: number
  /** The object resource once the upload finished; GCS answers it again to any later PUT. */
  finished?: unknown
}

/** `Content-Range` of a session PUT; no `first` means a status query (`bytes *` + `/total` or `/*`). */
interface ContentRange {
  readonly first?: number
  readonly last?: number
  readonly total?: number
}

/** Uploads into one {@link FakeGcsState}; resumable sessions live here until they finish. */
export class FakeUploads {
  private readonly sessions = new Map<string, Session>()

  constructor(private readonly state: FakeGcsState, private readonly endpoint: string) {}

  /** `POST /upload/storage/v1/b/B/o?uploadType=...`; throws {@link FakeGcsError} as GCS answers. */
  async start(exchange: FakeExchange, bucket: string): Promise<FakeAnswer> {
    const { query, headers } = exchange
    const pre = preconditions(query)
    const uploadType = query.get('uploadType')
    if (uploadType === 'media') {
      const data = await wholeBody(exchange)
      const init = { contentType: headers['content-type'] }
      return ok(objectResource(this.state.put(bucket, requiredName(query.get('name')), data, init, pre)))
    }
    if (uploadType === 'multipart') {
      const data = await wholeBody(exchange)
      const { resource, media, mediaType } = splitMultipart(data, headers['content-type'] ?? '')
      const name = requiredName(query.get('name') ?? stringOr(resource.name))
      const init = { contentType: stringOr(resource.contentType) ?? mediaType, metadata: customMetadata(resource.metadata) }
      return ok(objectResource(this.state.put(bucket, name, media, init, pre)))
    }
    if (uploadType === 'resumable') {
      const resource = await readJson(exchange)
      const name = requiredName(query.get('name') ?? stringOr(resource.name))
      const contentType = stringOr(resource.contentType) ?? stringOr(headers['x-upload-content-type'])
      // GCS checks the preconditions when the session starts and again when it finishes.
      this.state.checkPut(bucket, name, pre)
      const id = randomBytes(24).toString('base64url')
      this.sessions.set(id, { bucket, name, init: { contentType, metadata: customMetadata(resource.metadata) }, pre, parts: [], size: 0 })
      const location = `${this.endpoint}/upload/storage/v1/b/${encodeURIComponent(bucket)}/o?uploadType=resumable`
        + `&name=${encodeURIComponent(name)}&upload_id=${id}`
      return { status: 200, headers: { location, 'x-guploader-uploadid': id } }
    }
    throw invalid(`Invalid upload type: ${uploadType ?? '(none)'}`)
  }

  /**
   * A PUT to a session URI: a status query answers 308 with `Range: bytes=0-N` (none while nothing is stored);
   * data is appended from the stored size (bytes the session already holds are skipped, a gap is 400) and
   * the upload finishes when the total is reached, or, when neither last byte nor total is given (the SDK's
   * single-request mode sends `bytes first-*` over `*`), when the body ends.
   */
  async put(exchange: FakeExchange): Promise<FakeAnswer> {
    const session = this.sessions.get(exchange.query.get('upload_id') ?? '')
    if (session === undefined) throw new FakeGcsError(404, 'notFound', 'No such upload session.')
    const range = parseContentRange(exchange.headers['content-range'])
    const body = await exchange.readBody()
    if (session.finished !== undefined) return ok(session.finished)
    if (range.first === undefined) {
      return range.total === session.size ? this.finish(session) : incomplete(session)
    }
    if (range.first > session.size) {
      throw invalid(`Invalid request: first byte ${range.first} is past the ${session.size} bytes received so far.`)
    }
    if (body.complete && range.last !== undefined && body.data.length !== range.last - range.first + 1) {
      throw invalid('Content-Range does not match the length of the request body.')
    }
    const fresh = body.data.subarray(session.size - range.first)
    const end = session.size + fresh.length
    if (range.total !== undefined && end > range.total) throw invalid('Upload data exceeds the declared total size.')
    if (body.complete && (range.total === undefined ? range.last === undefined : end === range.total)) {
      session.parts.push(fresh)
      session.size = end
      return this.finish(session)
    }
    const kept = fresh.subarray(0, fresh.length - (fresh.length % RESUMABLE_CHUNK_UNIT))
    session.parts.push(kept)
    session.size += kept.length
    return incomplete(session)
  }

  private finish(session: Session): FakeAnswer {
    const object = this.state.put(session.bucket, session.name, Buffer.concat(session.parts), session.init, session.pre)
    session.finished = objectResource(object)
    session.parts.length = 0
    return ok(session.finished)
  }
}

/**
 * The body of a single-request upload; GCS stores nothing of one whose client went away before its end
 * (the answer never reaches it anyway).
 */
async function wholeBody(exchange: FakeExchange): Promise<Buffer> {
  const { data, complete } = await exchange.readBody()
  if (!complete) throw invalid('The request body ended before its end.')
  return data
}

function incomplete(session: Session): FakeAnswer {
  return { status: 308, headers: session.size > 0 ? { range: `bytes=0-${session.size - 1}` } : {} }
}

function requiredName(name: string | null | undefined): string {
  if (name === null || name === undefined || name === '') throw new FakeGcsError(400, 'required', 'Required')
  return name
}

function stringOr(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined
}

function parseContentRange(header: string | undefined): ContentRange {
  // No Content-Range: the body is the whole object.
  if (header === undefined) return { first: 0 }
  const match = /^bytes (?:\*|(\d+)-(\d+|\*))\/(\d+|\*)$/.exec(header.trim())
  if (match === null) throw invalid(`Invalid Content-Range: ${header}`)
  const [, first, last, total] = match
  const number = (text: string | undefined): number | undefined => (text === undefined || text === '*' ? undefined : Number(text))
  const range = { first: number(first), last: number(last), total: number(total) }
  if (range.first !== undefined && range.last !== undefined && range.last < range.first) throw invalid(`Invalid Content-Range: ${header}`)
  return range
}

/** Splits a `multipart/related` upload into its JSON resource and its media part. */
function splitMultipart(body: Buffer, contentType: string): { resource: Record<string, unknown>; media: Buffer; mediaType?: string } {
  const boundary = /boundary="?([^";]+)"?/i.exec(contentType)?.[1]
  if (!contentType.startsWith('multipart/related') || boundary === undefined) throw invalid('Invalid multipart request.')
  const delimiter = Buffer.from(`--${boundary}`)
  const parts: Buffer[] = []
  for (let at = body.indexOf(delimiter); at >= 0;) {
    const next = body.indexOf(delimiter, at + delimiter.length)
    if (next < 0) break
    // A part is CRLF, headers, CRLF CRLF, content, CRLF (RFC 2046 §5.1.1).
    parts.push(body.subarray(at + delimiter.length + 2, next - 2))
    at = next
  }
  const [meta, media] = parts.map((part) => {
    const split = part.indexOf('\r\n\r\n')
    if (split < 0) throw invalid('Invalid multipart request.')
    const type = /^content-type:\s*(.+)$/im.exec(part.subarray(0, split).toString())?.[1]?.trim()
    return { type, content: part.subarray(split + 4) }
  })
  if (meta === undefined || media === undefined || parts.length !== 2) throw invalid('Invalid multipart request.')
  return { resource: parseJsonObject(meta.content.toString()), media: media.content, mediaType: media.type }
}
