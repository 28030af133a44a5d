/** The body of a test request: bytes, text, or a stream of chunks (sent without a length, chunked on HTTP/1.1). */
export type RequestBody = string | Uint8Array | AsyncIterable<Uint8Array>

/** An interim (1xx) response as the client saw it. */
export interface Interim {
  readonly status: number
  readonly headers: Readonly<Record<string, string>>
}

/** One request, the same for every transport. */
export interface TestRequest {
  readonly method: string
  /**
   * An absolute URL on this client's origin (e.g. a `Location`), or a raw path sent as is (no
   * normalisation), or `*` (asterisk-form, for `OPTIONS *`).
   */
  readonly url: string
  readonly headers?: Readonly<Record<string, string>>
  readonly body?: RequestBody
  /** Called with each interim response as it arrives, by clients that see them (a streaming body can wait for one). */
  readonly onInterim?: (interim: Interim) => void
}

/** The final response, with header names in lower case and repeated fields joined by `, `. */
export interface TestResponse {
  readonly status: number
  readonly headers: Readonly<Record<string, string>>
  readonly body: Buffer
  /** The body as UTF-8 text. */
  readonly text: string
}

/** A final response and every interim response that came before it, from a client that sees them. */
export interface ResponseWithInterim extends TestResponse {
  readonly interim: readonly Interim[]
}

/** A client bound to one gateway over one HTTP version. */
export interface TestClient {
  /** `http://127.0.0.1:PORT` or `https://127.0.0.1:PORT`. */
  readonly origin: string
  request(request: TestRequest): Promise<TestResponse>
  close(): Promise<void>
}

/** The request target for `url`: a raw path (or `*`) is kept byte for byte, an absolute URL must be on `origin`. */
export function requestPath(url: string, origin: string): string {
  if (url.startsWith('/') || url === '*') return url
  const parsed = new URL(url)
  if (parsed.origin !== origin) throw new Error(`${url} is not on ${origin}`)
  return `${parsed.pathname}${parsed.search}`
}

/** Joins repeated header values the way a field list is read (RFC 9110 §5.3). */
export function flattenHeaders(headers: Record<string, string | string[] | number | undefined>): Record<string, string> {
  const flat: Record<string, string> = {}
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || name.startsWith(':')) continue
    flat[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : String(value)
  }
  return flat
}

/** Creates a TestResponse from its parts. */
export function testResponse(status: number, headers: Record<string, string>, body: Buffer): TestResponse {
  return { status, headers, body, text: body.toString('utf8') }
}

/**
 * Sends a request's body on a client stream (an HTTP/1.1 request or an HTTP/2 stream) and ends it: bytes
 * in one write, chunks one by one with backpressure. Stops writing once the stream is gone (a server that
 * answered early); a failing source destroys the stream.
 */
export async function writeBody(
  stream: NodeJS.WritableStream & { destroyed?: boolean; closed?: boolean; destroy?(error?: Error): void },
  body: RequestBody | undefined,
): Promise<void> {
  if (body === undefined) return void stream.end()
  if (typeof body === 'string' || body instanceof Uint8Array) return void stream.end(body)
  try {
    for await (const chunk of body) {
      if (stream.destroyed === true || stream.closed === true) return
      if (!stream.write(chunk)) await new Promise((drained) => stream.once('drain', drained))
    }
    if (stream.destroyed !== true) stream.end()
  } catch (error) {
    stream.destroy?.(error as Error)
  }
}
