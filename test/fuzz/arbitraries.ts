import { createHash } from 'node:crypto'
import fc from 'fast-check'

/**
 * One request, before it is framed for HTTP/1.1 or HTTP/2. Header names are lower case; a name may repeat.
 * `{upload:N}` in the path or a header value stands for the id of the N-th known upload (modulo their
 * number; see `resolveRequest`), so that requests reach uploads made during the run too.
 */
export interface FuzzRequest {
  readonly method: string
  readonly path: string
  readonly headers: readonly (readonly [string, string])[]
  /** Undefined: no body at all. */
  readonly body: Uint8Array | undefined
  /** HTTP/1.1: send the body chunked (with the trailers), rather than with a Content-Length. */
  readonly chunked: boolean
  /** Sent after the body (a chunked HTTP/1.1 body's trailer section, HTTP/2 trailing headers). */
  readonly trailers: readonly (readonly [string, string])[]
}

/** Where the requests go: the collection path and the origin, for absolute URLs of our uploads. */
export interface FuzzTargets {
  readonly basePath: string
  /** `http://127.0.0.1:PORT` */
  readonly origin: string
}

/** Replaces each `{upload:N}` with one of `ids` (which must not be empty). */
export function resolveRequest(request: FuzzRequest, ids: readonly string[]): FuzzRequest {
  const resolve = (text: string): string => text.replace(/\{upload:(\d+)\}/g, (_match, n: string) => ids[Number(n) % ids.length] ?? '')
  return {
    ...request,
    path: resolve(request.path),
    headers: request.headers.map(([name, value]) => [name, resolve(value)] as const),
    trailers: request.trailers.map(([name, value]) => [name, resolve(value)] as const),
  }
}

// Printable ASCII and tab: what every HTTP/1.1 and HTTP/2 client lets through in a field value.
const PRINTABLE = '\t !"#$%&\'()*+,-./0123456789:;<=>?@ABCXYZ[\\]^_`abcxyz{|}~ '
const printable = fc.string({ unit: fc.constantFrom(...PRINTABLE), maxLength: 48 })
// HTTP/1.1 also carries obs-text (bytes 0x80-0xFF), which node reads as latin1.
const withObsText = fc.string({ unit: fc.constantFrom(...PRINTABLE, '\x80', '\xa0', '\xc3', '\xbc', '\xe2', '\xff'), maxLength: 48 })

const upload = fc.nat(1000).map((n) => `{upload:${n}}`)

const smallNumber = fc.nat(24).map(String)
const numberish = fc.oneof(
  { weight: 3, arbitrary: smallNumber },
  fc.integer({ min: -5, max: 10 ** 9 }).map(String),
  fc.bigInt({ min: 0n, max: 10n ** 22n }).map(String),
  fc.constantFrom('', ' ', '00', '+1', '-0', '1.5', '1e3', '0x10', '12abc', ' 7 ', '999999999999999', '9999999999999999', '1, 2'),
)

const base64ish = fc.oneof(
  { weight: 3, arbitrary: fc.uint8Array({ maxLength: 24 }).map((bytes) => Buffer.from(bytes).toString('base64')) },
  fc.base64String({ maxLength: 40 }),
  fc.constantFrom('', '=', '====', '!!!!', 'YQ', 'YQ=', 'YQ===', '//79/A=='),
)

const metadataKey = fc.oneof(
  { weight: 3, arbitrary: fc.stringMatching(/^[A-Za-z0-9_.-]{1,10}$/) },
  fc.constantFrom('filename', 'filetype', '', 'a b', 'é', '__proto__', 'constructor', 'toString'),
)
const metadataish = fc
  .array(fc.tuple(metadataKey, fc.constantFrom(' ', ' ', '', '  '), base64ish), { maxLength: 5 })
  .map((pairs) => pairs.map(([key, space, value]) => (space === '' ? key : `${key}${space}${value}`)).join(','))

const ALGORITHMS = ['sha1', 'md5', 'sha256', 'sha512', 'crc32'] as const
const checksumish = fc.oneof(
  fc
    .tuple(fc.constantFrom(...ALGORITHMS, 'SHA1', 'sha-256', 'crc32c', ''), fc.constantFrom(' ', ' ', '  ', ''), base64ish)
    .map(([algorithm, space, digest]) => `${algorithm}${space}${digest}`),
  printable,
)

/** `Upload-Checksum` of `body`, right or wrong. */
function checksumOf(body: Uint8Array, algorithm: (typeof ALGORITHMS)[number], right: boolean): string {
  const bytes = right ? body : Buffer.concat([body, Buffer.from('x')])
  if (algorithm === 'crc32') {
    // IEEE CRC-32, as the gateway computes it (zlib's).
    let crc = ~0
    for (const byte of bytes) {
      crc ^= byte
      for (let bit = 0; bit < 8; bit++) crc = (crc >>> 1) ^ (0xedb88320 & -(crc & 1))
    }
    const digest = Buffer.alloc(4)
    digest.writeUInt32BE(~crc >>> 0)
    return `crc32 ${digest.toString('base64')}`
  }
  return `${algorithm} ${createHash(algorithm).update(bytes).digest('base64')}`
}

function concatish(targets: FuzzTargets): fc.Arbitrary<string> {
  const url = fc.oneof(
    { weight: 3, arbitrary: upload.map((id) => `${targets.basePath}${id}`) },
    { weight: 2, arbitrary: upload.map((id) => `${targets.origin}${targets.basePath}${id}`) },
    upload,
    upload.map((id) => `http://proxy.example${targets.basePath}${id}`),
    fc.constantFrom('', '.', '..', '/', '*', 'http://[bad', 'javascript:x', `${targets.basePath}..%2F`, '//x/files/y'),
  )
  return fc.oneof(
    fc.constant('partial'),
    { weight: 2, arbitrary: fc.array(url, { minLength: 1, maxLength: 4 }).map((urls) => `final;${urls.join(' ')}`) },
    fc.array(url, { maxLength: 3 }).map((urls) => `final; ${urls.join('  ')} `),
    printable,
  )
}

const contentTypeish = fc.constantFrom(
  'application/offset+octet-stream; charset=utf-8',
  'APPLICATION/OFFSET+OCTET-STREAM',
  'application/partial-upload',
  'text/plain',
  'multipart/form-data; boundary=x',
  '',
)

const methodName = fc.oneof(
  { weight: 8, arbitrary: fc.constantFrom('POST', 'PATCH', 'HEAD', 'GET', 'DELETE', 'OPTIONS') },
  { weight: 1, arbitrary: fc.constantFrom('PUT', 'TRACE', 'patch', 'Delete') },
  // Random tokens, but not CONNECT (a tunnel, answered by closing) or PRI (the HTTP/2 preface).
  { weight: 1, arbitrary: fc.stringMatching(/^[A-Z]{1,10}$/).filter((name) => name !== 'CONNECT' && name !== 'PRI') },
)

// Every header the gateway reads (tus, the draft, CORS, proxies), mostly with values near their grammar.
function headerEntry(targets: FuzzTargets, text: fc.Arbitrary<string>): fc.Arbitrary<readonly [string, string]> {
  const named = (names: readonly string[], values: fc.Arbitrary<string>): fc.Arbitrary<readonly [string, string]> =>
    fc.tuple(fc.constantFrom(...names), fc.oneof({ weight: 4, arbitrary: values }, { weight: 1, arbitrary: text }))
  return fc.oneof(
    named(['tus-resumable'], fc.constantFrom('1.0.0', '0.2.2', '1.0.0, 1.0.0', ' 1.0.0 ', '')),
    { weight: 4, arbitrary: named(['upload-length', 'upload-offset'], numberish) },
    named(['upload-defer-length', 'x-request-id'], numberish),
    { weight: 2, arbitrary: named(['upload-metadata'], metadataish) },
    { weight: 2, arbitrary: named(['upload-checksum'], checksumish) },
    { weight: 2, arbitrary: named(['upload-concat'], concatish(targets)) },
    named(['content-type'], contentTypeish),
    named(['x-http-method-override'], methodName),
    named(['trailer'], fc.constantFrom('Upload-Checksum', 'upload-checksum, x', 'Content-Length', '')),
    // node answers any expectation but 100-continue with 417, before the gateway sees the request.
    fc.tuple(fc.constant('expect'), fc.constantFrom('100-continue', '100-continue', '100-continue', '200-ok')),
    named(['range'], fc.constantFrom('bytes=0-', 'bytes=-1', 'bytes=5-2', 'bytes=0-0,2-3', 'bytes=99999999999999999-', 'items=0-1', 'bytes=-')),
    named(['if-range'], fc.constantFrom('"x"', 'W/"x"', 'Wed, 21 Oct 2015 07:28:00 GMT')),
    named(['origin', 'access-control-request-method', 'access-control-request-headers'], fc.constantFrom('http://a.example', 'null', 'POST', '*')),
    named(['forwarded', 'x-forwarded-host', 'x-forwarded-proto'], fc.constantFrom('host=a.example;proto=https', 'for=1.2.3.4', 'a.example', 'https', 'gopher', 'a b')),
    named(['upload-complete', 'upload-incomplete', 'upload-draft-interop-version'], fc.constantFrom('?1', '?0', '1', 'true', '3', '6', '8', '10', '99')),
    named(['content-digest', 'repr-digest', 'want-repr-digest'], fc.constantFrom('sha-256=:AAAA:', 'sha-256=1', 'sha=:YQ==:', 'sha-512=?1', '')),
    fc.tuple(fc.stringMatching(/^x-[a-z0-9-]{1,12}$/), text),
  )
}

const bodyBytes = fc.oneof(fc.uint8Array({ maxLength: 48 }), fc.constantFrom('hello', 'hello world', '').map((value) => Buffer.from(value)))

type Entries = (readonly [string, string])[]

// A well-formed tus 1.0.0 request of each kind, which the random headers added after it then bend.
function wellFormed(targets: FuzzTargets): fc.Arbitrary<Omit<FuzzRequest, 'chunked'>> {
  const TUS = ['tus-resumable', '1.0.0'] as const
  const OCTETS = ['content-type', 'application/offset+octet-stream'] as const
  const checksum = fc.option(fc.tuple(fc.constantFrom(...ALGORITHMS), fc.boolean(), fc.boolean()), { nil: undefined })
  const create = fc
    .record({
      length: fc.option(fc.nat(20), { nil: undefined }),
      metadata: fc.option(metadataish, { nil: undefined }),
      // Mostly plain and partial uploads; a final upload takes no length of its own.
      concat: fc.oneof({ weight: 3, arbitrary: fc.constant(undefined) }, { weight: 2, arbitrary: fc.constant('partial') }, concatish(targets)),
      body: fc.option(bodyBytes, { nil: undefined }),
      checksum,
    })
    .map(({ length, metadata, concat, body, checksum }) => {
      const headers: Entries = [TUS]
      if (concat?.startsWith('final') !== true) headers.push(length === undefined ? ['upload-defer-length', '1'] : ['upload-length', String(length)])
      if (metadata !== undefined) headers.push(['upload-metadata', metadata])
      if (concat !== undefined) headers.push(['upload-concat', concat])
      const trailers: Entries = []
      if (body !== undefined) headers.push(OCTETS)
      if (body !== undefined && checksum !== undefined) {
        const [algorithm, right, asTrailer] = checksum
        if (asTrailer) headers.push(['trailer', 'Upload-Checksum'])
        ;(asTrailer ? trailers : headers).push(['upload-checksum', checksumOf(body, algorithm, right)])
      }
      return { method: 'POST', path: targets.basePath, headers, body, trailers }
    })
  const append = fc
    .record({ id: upload, offset: fc.nat(12), length: fc.option(fc.nat(20), { nil: undefined }), body: bodyBytes, checksum })
    .map(({ id, offset, length, body, checksum }) => {
      const headers: Entries = [TUS, OCTETS, ['upload-offset', String(offset)]]
      if (length !== undefined) headers.push(['upload-length', String(length)])
      const trailers: Entries = []
      if (checksum !== undefined) {
        const [algorithm, right, asTrailer] = checksum
        if (asTrailer) headers.push(['trailer', 'Upload-Checksum'])
        ;(asTrailer ? trailers : headers).push(['upload-checksum', checksumOf(body, algorithm, right)])
      }
      return { method: 'PATCH', path: `${targets.basePath}${id}`, headers, body, trailers }
    })
  const other = fc
    .tuple(fc.constantFrom('HEAD', 'HEAD', 'GET', 'GET', 'DELETE', 'OPTIONS'), upload)
    .map(([method, id]) => ({ method, path: method === 'OPTIONS' ? targets.basePath : `${targets.basePath}${id}`, headers: [TUS] as Entries, body: undefined, trailers: [] }))
  return fc.oneof({ weight: 3, arbitrary: create }, { weight: 3, arbitrary: append }, { weight: 2, arbitrary: other })
}

/** Random and malformed requests for the gateway; `obsText` lets header values carry bytes 0x80-0xFF (HTTP/1.1 only). */
export function fuzzRequest(targets: FuzzTargets, options: { obsText: boolean }): fc.Arbitrary<FuzzRequest> {
  const text = options.obsText ? withObsText : printable
  const path = fc.oneof(
    { weight: 3, arbitrary: upload.map((id) => `${targets.basePath}${id}`) },
    { weight: 2, arbitrary: fc.constant(targets.basePath) },
    upload.map((id) => `${targets.basePath}${id}.info`),
    upload.map((id) => `${targets.basePath}${id}/x`),
    upload.map((id) => `${targets.basePath}${id}?a=1`),
    fc.stringMatching(/^[A-Za-z0-9_-]{1,40}$/).map((id) => `${targets.basePath}${id}`),
    fc.constantFrom('/', '*', '/files', '//files/', '/files/..%2F..%2Fetc', '/files/%00', '/files/%2e%2e', '/files/a%2Fb', '/other/'),
    fc.stringMatching(/^\/[!-~]{0,60}$/),
  )
  const trailer = fc.oneof(fc.tuple(fc.constant('upload-checksum'), checksumish), fc.tuple(fc.stringMatching(/^x-[a-z]{1,8}$/), printable))
  const random = fc.record({
    method: methodName,
    path,
    headers: fc
      .tuple(fc.nat(9).map((n) => n > 0), fc.boolean(), fc.array(headerEntry(targets, text), { maxLength: 8 }))
      .map(([tus, octetStream, entries]): Entries => [
        ...(tus ? [['tus-resumable', '1.0.0'] as const] : []),
        ...(octetStream ? [['content-type', 'application/offset+octet-stream'] as const] : []),
        ...entries,
      ]),
    body: fc.option(bodyBytes, { nil: undefined }),
    trailers: fc.array(trailer, { maxLength: 2 }),
  })
  // A well-formed request, then up to three random headers: a repeated name makes a list on HTTP/1.1
  // (often malformed) and replaces the value on HTTP/2.
  const bent = fc
    .tuple(wellFormed(targets), fc.array(headerEntry(targets, text), { maxLength: 3 }))
    .map(([request, extra]) => ({ ...request, headers: [...request.headers, ...extra] }))
  return fc
    .tuple(fc.oneof({ weight: 1, arbitrary: random }, { weight: 3, arbitrary: bent }), fc.boolean())
    .map(([request, chunked]) => ({ ...request, chunked }))
}

/** A short description of a request, for failure messages. */
export function describeRequest(request: FuzzRequest): string {
  const body = request.body === undefined ? 'no body' : `${request.body.byteLength} bytes${request.chunked ? ' chunked' : ''}`
  return `${request.method} ${request.path} ${JSON.stringify(request.headers)} ${body} trailers ${JSON.stringify(request.trailers)}`
}
