/** The body of a test request: bytes, text, or a stream of chunks (sent without a length, chunked on HTTP/1.1). */
export type RequestBody = string | Uint8Array | AsyncIterable<Uint8Array>

/** One request, the same for every transport. */
export interface TestRequest {
  readonly method: string
  /** An absolute URL on this client's origin (e.g. a `Location`) or a raw path, sent as is (no normalisation). */
  readonly url: string
  readonly headers?: Readonly<Record<string, string>>
  readonly body?: RequestBody
}

/** The final response, with header names in lower case and repeated fields joined by `, `. */
export interface TestResponse {
  readonly status: number
  readonly headers: Readonly<Record<string, string>>
  readonly body: Buffer
  /** The body as UTF-8 text. */
  readonly text: string
}

/** A client bound to one gateway over one HTTP version. */
export interface TestClient {
  /** `http://127.0.0.1:PORT` or `https://127.0.0.1:PORT`. */
  readonly origin: string
  request(request: TestRequest): Promise<TestResponse>
  close(): Promise<void>
}

/** The path (with query) to send for `url`: a raw path is kept byte for byte, an absolute URL must be on `origin`. */
export function requestPath(url: string, origin: string): string {
  if (url.startsWith('/')) return url
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
