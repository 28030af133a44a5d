/**
 * The routes of the GCS fake (a fake of the GCS JSON API for tests; not GCS): the subset of
 * `https://storage.googleapis.com/{storage,upload/storage}/v1/...` that an upload store reaches through
 * `@google-cloud/storage` 7. Anything else answers `undefined`, which the server turns into a loud 501.
 */
import { customMetadata, ok, preconditions, readJson, type FakeAnswer, type FakeExchange } from './gcs-fake-exchange.js'
import { FakeGcsError, invalid, objectResource, type FakeGcsState, type FakeObject } from './gcs-fake-state.js'
import type { FakeUploads } from './gcs-fake-uploads.js'

const maxListResults = 1000

/** The metadata fields a PATCH may change here; any other field is a gap in the fake, answered 501. */
const patchableFields = new Set(['contentType', 'metadata'])

/** Answers one exchange, or `undefined` when the fake does not speak that request. Throws {@link FakeGcsError}. */
export async function route(state: FakeGcsState, uploads: FakeUploads, exchange: FakeExchange): Promise<FakeAnswer | undefined> {
  const { method, segments: s, query } = exchange
  const at = (...prefix: string[]): boolean => prefix.every((part, i) => s[i] === part)
  if (at('upload', 'storage', 'v1', 'b') && s.length === 6 && s[5] === 'o') {
    if (method === 'POST') return uploads.start(exchange, s[4]!)
    if (method === 'PUT' && query.has('upload_id')) return uploads.put(exchange)
    return undefined
  }
  if (!at('storage', 'v1', 'b')) return undefined
  const [bucket, o, name, action, ...rest] = s.slice(3)
  if (bucket === undefined) {
    if (method !== 'POST') return undefined
    if (!query.has('project')) throw new FakeGcsError(400, 'required', 'Required parameter: project')
    const resource = await readJson(exchange)
    return ok(state.createBucket(typeof resource.name === 'string' ? resource.name : ''))
  }
  if (o === undefined) return method === 'GET' ? ok(state.bucketResource(bucket)) : undefined
  if (o !== 'o') return undefined
  if (name === undefined) return method === 'GET' ? list(state, bucket, query) : undefined
  const pre = preconditions(query)
  if (action === undefined) {
    if (method === 'GET') {
      const object = state.get(bucket, name, pre)
      return query.get('alt') === 'media' ? media(object, exchange) : ok(objectResource(object))
    }
    if (method === 'DELETE') {
      state.delete(bucket, name, pre)
      return { status: 204 }
    }
    if (method === 'PATCH') {
      const body = await readJson(exchange)
      if (!Object.keys(body).every((field) => patchableFields.has(field))) return undefined
      return ok(objectResource(state.patch(bucket, name, body, pre)))
    }
    return undefined
  }
  if (method === 'POST' && action === 'compose' && rest.length === 0) return compose(state, bucket, name, exchange)
  if (method === 'POST' && action === 'rewriteTo' && rest.length === 4 && rest[0] === 'b' && rest[2] === 'o') {
    return rewrite(state, state.get(bucket, name), rest[1]!, rest[3]!, exchange)
  }
  return undefined
}

function list(state: FakeGcsState, bucket: string, query: URLSearchParams): FakeAnswer {
  const maxResults = Math.min(Number(query.get('maxResults') ?? maxListResults), maxListResults)
  if (!Number.isInteger(maxResults) || maxResults < 1) throw invalid(`Invalid value for maxResults: ${query.get('maxResults')}`)
  const page = state.list(bucket, {
    prefix: query.get('prefix') ?? '', delimiter: query.get('delimiter') ?? '', maxResults,
    ...(query.has('pageToken') && { pageToken: query.get('pageToken')! }),
  })
  return ok({
    kind: 'storage#objects',
    ...(page.items.length > 0 && { items: page.items.map(objectResource) }),
    ...(page.prefixes.length > 0 && { prefixes: page.prefixes }),
    ...(page.nextPageToken !== undefined && { nextPageToken: page.nextPageToken }),
  })
}

/** `alt=media`: the bytes, or one range of them (206), with the `x-goog-*` headers the SDK validates against. */
function media(object: FakeObject, exchange: FakeExchange): FakeAnswer {
  const size = object.data.length
  const headers: Record<string, string> = {
    'content-type': object.contentType,
    'x-goog-generation': String(object.generation),
    'x-goog-metageneration': String(object.metageneration),
    'x-goog-hash': `crc32c=${object.crc32c}${object.componentCount === undefined ? `,md5=${object.md5Hash}` : ''}`,
    'x-goog-stored-content-length': String(size),
    'x-goog-stored-content-encoding': 'identity',
  }
  // One range only; anything else is ignored and the whole object sent (RFC 9110 §14.2 lets a server ignore Range).
  const match = /^bytes=(\d*)-(\d*)$/.exec(exchange.headers.range ?? '')
  if (match === null || (match[1] === '' && match[2] === '')) return { status: 200, headers, body: object.data }
  const [, from, to] = match
  const first = from === '' ? Math.max(0, size - Number(to)) : Number(from)
  const last = from === '' || to === '' ? size - 1 : Math.min(Number(to), size - 1)
  if (first >= size || last < first) {
    const error = new FakeGcsError(416, 'requestedRangeNotSatisfiable', 'The requested range cannot be satisfied.')
    return { status: 416, headers: { 'content-range': `bytes */${size}` }, json: error.body() }
  }
  headers['content-range'] = `bytes ${first}-${last}/${size}`
  return { status: 206, headers, body: object.data.subarray(first, last + 1) }
}

async function compose(state: FakeGcsState, bucket: string, name: string, exchange: FakeExchange): Promise<FakeAnswer> {
  const body = await readJson(exchange)
  const destination = (body.destination ?? {}) as Record<string, unknown>
  if (!Array.isArray(body.sourceObjects)) throw new FakeGcsError(400, 'required', 'Required')
  const sources = (body.sourceObjects as Array<Record<string, unknown>>).map((source) => {
    if (typeof source.name !== 'string') throw new FakeGcsError(400, 'required', 'Required')
    return { name: source.name, ...(source.generation !== undefined && { generation: Number(source.generation) }) }
  })
  const init = {
    ...(typeof destination.contentType === 'string' && { contentType: destination.contentType }),
    metadata: customMetadata(destination.metadata),
  }
  return ok(objectResource(state.compose(bucket, name, sources, init, preconditions(exchange.query))))
}

/** `rewriteTo` finishes in one call here (`done: true`), which GCS does for objects in the same location. */
async function rewrite(state: FakeGcsState, source: FakeObject, bucket: string, name: string, exchange: FakeExchange): Promise<FakeAnswer> {
  const body = await readJson(exchange)
  const init = {
    contentType: typeof body.contentType === 'string' ? body.contentType : source.contentType,
    metadata: customMetadata(body.metadata) ?? source.metadata,
    ...(source.componentCount !== undefined && { componentCount: source.componentCount }),
  }
  const object = state.put(bucket, name, source.data, init, preconditions(exchange.query))
  const size = String(object.data.length)
  return ok({ kind: 'storage#rewriteResponse', totalBytesRewritten: size, objectSize: size, done: true, resource: objectResource(object) })
}
