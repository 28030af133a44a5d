/**
 * A fake of the GCS JSON API for tests; not GCS. No GCS server can be installed here (TEST-SERVERS.md, "GCS"),
 * so the GCS store's tests point `@google-cloud/storage` at this node:http server on 127.0.0.1:
 * `new Storage({ apiEndpoint: fake.endpoint, projectId: fake.projectId })`.
 *
 * It speaks what a store uses: buckets get/create; uploads `uploadType=media|multipart|resumable` and session
 * PUTs (308 + `Range`); object metadata GET/PATCH, `alt=media` with `Range`, DELETE, list (prefix, delimiter,
 * maxResults, pageToken), compose (at most 32 sources) and rewriteTo (`file.copy`); `ifGenerationMatch` /
 * `ifMetagenerationMatch` everywhere. Errors come in GCS's JSON format. Any other request is logged to stderr,
 * recorded in {@link GcsFake.unhandled} and answered 501, so a gap shows instead of passing silently.
 */
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { FakeAnswer, FakeBody } from './gcs-fake-exchange.js'
import { route } from './gcs-fake-routes.js'
import { FakeGcsError, FakeGcsState, invalid } from './gcs-fake-state.js'
import { FakeUploads } from './gcs-fake-uploads.js'

/** One request as the fake received it; `path` is percent-decoded (`/storage/v1/b/B/o/dir/name`). */
export interface FakeRequest {
  readonly method: string
  readonly path: string
  readonly query: Readonly<Record<string, string>>
  readonly headers: IncomingHttpHeaders
}

/** Which requests a fault applies to: all fields given must match (`pathIncludes` against the decoded path). */
export interface FakeRequestMatch {
  readonly method?: string
  readonly pathIncludes?: string
  /** The object's name, from the path or, for an upload, the `name` parameter, must include this. */
  readonly nameIncludes?: string
  /** How many matching requests this applies to; 1 by default. */
  readonly times?: number
}

/** An injected error answer, in GCS's JSON error format. */
export interface FakeFailure extends FakeRequestMatch {
  readonly status: number
}

/** A request held before it is handled, until {@link FakeStall.release} (or `stop()`). */
export interface FakeStall {
  /** Resolves with the first request that was held. */
  readonly arrived: Promise<FakeRequest>
  /** Lets the held requests (and any later matching ones) go on. */
  release(): void
}

/** A running fake. */
export interface GcsFake {
  /** `http://127.0.0.1:PORT`, for `new Storage({ apiEndpoint })`. */
  readonly endpoint: string
  readonly projectId: string
  /** Every request received, in order, faults included: count calls with it. */
  readonly requests: readonly FakeRequest[]
  /** Requests the fake does not speak (answered 501). */
  readonly unhandled: readonly FakeRequest[]
  /** Answers the next matching request(s) with `status` instead of handling them. */
  failNext(failure: FakeFailure): void
  /** Holds the next matching request(s) before handling them, until released. */
  stallNext(match?: FakeRequestMatch): FakeStall
  /** Creates a bucket directly, without a request. Throws if it exists. */
  createBucket(name: string): void
  /** Object names of a bucket in listing order; throws if the bucket does not exist. */
  objectNames(bucket: string): string[]
  /** An object's bytes, or undefined when there is no such object. */
  read(bucket: string, name: string): Buffer | undefined
  /** Releases stalls, drops open connections and closes the server. */
  stop(): Promise<void>
}

// The `reason` GCS gives with these statuses (the SDK retries 408, 429 and 5xx whatever the reason).
const failureReasons: Readonly<Record<number, string>> = {
  400: 'invalid', 404: 'notFound', 412: 'conditionNotMet', 429: 'rateLimitExceeded', 500: 'backendError', 503: 'backendError',
}

interface Fault<T> {
  readonly match: FakeRequestMatch
  remaining: number
  readonly act: T
}

/** Starts a fake on 127.0.0.1 with a free port and no buckets. */
export async function startGcsFake(): Promise<GcsFake> {
  const state = new FakeGcsState()
  const requests: FakeRequest[] = []
  const unhandled: FakeRequest[] = []
  const failures: Array<Fault<number>> = []
  const stalls: Array<Fault<{ hold: Promise<void>; arrived: (request: FakeRequest) => void; release: () => void }>> = []
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  const uploads = new FakeUploads(state, endpoint)

  async function serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const readBody = bodyReader(req)
    const url = new URL(req.url ?? '/', endpoint)
    const method = req.method ?? 'GET'
    const request = { method, path: decodedForLog(url.pathname), query: Object.fromEntries(url.searchParams), headers: req.headers }
    requests.push(request)
    const stall = take(stalls, request)
    if (stall) {
      stall.arrived(request)
      await stall.hold
    }
    let answer: FakeAnswer | undefined
    try {
      const failure = take(failures, request)
      if (failure !== undefined) throw new FakeGcsError(failure, failureReasons[failure] ?? 'fakeFailure', 'Injected by the GCS fake.')
      const segments = url.pathname.split('/').slice(1).map(decodeSegment)
      answer = await route(state, uploads, { method, segments, query: url.searchParams, headers: req.headers, readBody })
      if (answer === undefined) {
        unhandled.push(request)
        console.error(`[gcs-fake] no fake for ${method} ${req.url}: answered 501 (a gap in test/fakes/gcs)`)
        answer = errorAnswer(new FakeGcsError(501, 'notImplemented', 'Not implemented by the GCS fake.'))
      }
    } catch (error) {
      if (!(error instanceof FakeGcsError)) console.error(`[gcs-fake] ${method} ${req.url} failed`, error)
      answer = errorAnswer(error instanceof FakeGcsError ? error : new FakeGcsError(500, 'backendError', 'Internal error.'))
    }
    // Read what is left of the body, so the client gets the answer rather than a reset while still sending.
    await readBody()
    send(res, answer)
  }
  server.on('request', (req: IncomingMessage, res: ServerResponse) => void serve(req, res))

  return {
    endpoint, projectId: 'test', requests, unhandled,
    failNext: ({ status, ...match }) => void failures.push({ match, remaining: match.times ?? 1, act: status }),
    stallNext(match = {}) {
      let release = (): void => {}
      const hold = new Promise<void>((resolve) => { release = resolve })
      let arrived = (_: FakeRequest): void => {}
      const first = new Promise<FakeRequest>((resolve) => { arrived = resolve })
      stalls.push({ match, remaining: match.times ?? 1, act: { hold, arrived, release } })
      return { arrived: first, release }
    },
    createBucket: (name) => void state.createBucket(name),
    objectNames: (bucket) => state.names(bucket),
    read: (bucket, name) => state.peek(bucket, name)?.data,
    async stop() {
      for (const stall of stalls) stall.act.release()
      server.closeAllConnections()
      await new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())))
    },
  }
}

/** The first fault matching `request` that has uses left, using one up. */
function take<T>(faults: Array<Fault<T>>, request: FakeRequest): T | undefined {
  const fault = faults.find(({ match, remaining }) => remaining > 0
    && (match.method === undefined || match.method === request.method)
    && (match.pathIncludes === undefined || request.path.includes(match.pathIncludes))
    && (match.nameIncludes === undefined || objectNameOf(request).includes(match.nameIncludes)))
  if (fault === undefined) return undefined
  fault.remaining -= 1
  return fault.act
}

/** The object a request is about: after `/o/` in the path, or an upload's `name` parameter ("" for neither). */
function objectNameOf(request: FakeRequest): string {
  const at = request.path.indexOf('/o/')
  return at >= 0 ? request.path.slice(at + 3) : (request.query.name ?? '')
}

/** Percent-decodes one path segment; throws 400 on a malformed escape. */
function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment)
  } catch {
    throw invalid('Invalid percent-encoding in the path.')
  }
}

/** The decoded path for the request log, or the raw one when it does not decode. */
function decodedForLog(path: string): string {
  try {
    return decodeURIComponent(path)
  } catch {
    return path
  }
}

/** Reads the body once, however many callers ask; `complete: false` when the client went away first. */
function bodyReader(req: IncomingMessage): () => Promise<FakeBody> {
  let body: Promise<FakeBody> | undefined
  return () => (body ??= new Promise((resolve) => {
    const chunks: Buffer[] = []
    // Gone already (e.g. while stalled): nothing more will arrive or be emitted.
    if (req.destroyed) return resolve({ data: Buffer.alloc(0), complete: false })
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => resolve({ data: Buffer.concat(chunks), complete: true }))
    // An aborted request emits 'error' and then 'close' without 'end'; 'close' settles it with what arrived.
    req.on('error', () => {})
    req.on('close', () => resolve({ data: Buffer.concat(chunks), complete: false }))
  }))
}

function errorAnswer(error: FakeGcsError): FakeAnswer {
  return { status: error.status, json: error.body() }
}

function send(res: ServerResponse, answer: FakeAnswer): void {
  if (res.headersSent || res.destroyed) return
  const body = answer.json === undefined ? answer.body : Buffer.from(JSON.stringify(answer.json))
  const headers: Record<string, string> = { ...answer.headers }
  if (answer.json !== undefined) headers['content-type'] = 'application/json; charset=UTF-8'
  // RFC 9110 §8.6: no Content-Length in a 204.
  if (answer.status !== 204) headers['content-length'] = String(body?.length ?? 0)
  res.writeHead(answer.status, headers).end(body)
}
