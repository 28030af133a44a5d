import http from 'node:http'
import http2, { type ClientHttp2Session, type OutgoingHttpHeaders } from 'node:http2'
import { flattenHeaders, requestPath, type RequestBody } from '../support/client.js'
import type { TestGateway } from '../support/gateway.js'

/** An interim (1xx) response as the client saw it. */
export interface Interim {
  readonly status: number
  readonly headers: Readonly<Record<string, string>>
}

/** The final response of a draft request, and every interim response that came before it. */
export interface DraftResponse {
  readonly status: number
  readonly headers: Readonly<Record<string, string>>
  readonly body: Buffer
  readonly text: string
  readonly interim: readonly Interim[]
}

export interface DraftRequest {
  readonly method: string
  /** A raw path, an absolute URL on the client's origin, or `*` (asterisk-form, for OPTIONS). */
  readonly url: string
  readonly headers?: Readonly<Record<string, string>>
  /** Bytes, or chunks streamed without a length (chunked on HTTP/1.1). */
  readonly body?: RequestBody
  /** Called with each interim response as it arrives (a streaming body can wait for one). */
  readonly onInterim?: (interim: Interim) => void
}

/** A client that sees 104s: node:http's `'information'` on HTTP/1.1, node:http2's `'headers'` on HTTP/2. */
export interface DraftClient {
  readonly origin: string
  request(request: DraftRequest): Promise<DraftResponse>
  close(): Promise<void>
  /** Drops the connection(s) at once, requests in flight included (a client that loses its network). */
  destroy(): void
}

/** One way to reach the gateway. */
export interface DraftTransport {
  readonly name: 'HTTP/1.1' | 'h2c' | 'TLS h2'
  connect(gateway: TestGateway): DraftClient
}

/** The transports draft suites run over: every case over HTTP/1.1 and h2c, TLS h2 where a file asks. */
export const draftTransports: readonly DraftTransport[] = [
  { name: 'HTTP/1.1', connect: (gateway) => http1DraftClient(gateway.port) },
  { name: 'h2c', connect: (gateway) => http2DraftClient(gateway.port) },
]

/** Also TLS (ALPN h2), for suites that check what differs by connection (Location's scheme). */
export const tlsDraftTransport: DraftTransport = {
  name: 'TLS h2',
  connect: (gateway) => http2DraftClient(gateway.port, gateway.ca),
}

/** HTTP/1.1 through node:http with a keep-alive agent; interim responses from `'information'`. */
export function http1DraftClient(port: number): DraftClient {
  const origin = `http://127.0.0.1:${port}`
  const agent = new http.Agent({ keepAlive: true, maxSockets: 4 })
  return {
    origin,
    request: (request) =>
      new Promise<DraftResponse>((resolve, reject) => {
        const interim: Interim[] = []
        const body = request.body
        const headers: Record<string, string | number> = { ...request.headers }
        if ((typeof body === 'string' || body instanceof Uint8Array) && !hasHeader(headers, 'content-length')) {
          headers['content-length'] = Buffer.byteLength(body)
        }
        let answered = false
        const req = http.request(
          { host: '127.0.0.1', port, method: request.method, path: pathFor(request.url, origin), headers, agent },
          (res) => {
            answered = true
            const chunks: Buffer[] = []
            res.on('data', (chunk: Buffer) => chunks.push(chunk))
            res.on('end', () => resolve(draftResponse(res.statusCode ?? 0, flattenHeaders(res.headers), Buffer.concat(chunks), interim)))
            res.on('error', reject)
          },
        )
        req.on('information', (info) => {
          const received = { status: info.statusCode, headers: flattenHeaders(info.headers) }
          interim.push(received)
          request.onInterim?.(received)
        })
        // A server that answers before reading the body may close the connection under the upload.
        req.on('error', (error) => {
          if (!answered) reject(error)
        })
        const send = (): void => void writeBody(req, body)
        if (String(headers.expect ?? headers.Expect ?? '').toLowerCase() === '100-continue') req.on('continue', send)
        else send()
      }),
    close: async () => agent.destroy(),
    destroy: () => agent.destroy(),
  }
}

/** HTTP/2 through node:http2 on one session (h2c with prior knowledge, or TLS when `ca` is given). */
export function http2DraftClient(port: number, ca?: string): DraftClient {
  const origin = `${ca === undefined ? 'http' : 'https'}://127.0.0.1:${port}`
  let session: ClientHttp2Session | undefined
  const connect = (): ClientHttp2Session => {
    if (session === undefined || session.closed || session.destroyed) {
      const opened = ca === undefined ? http2.connect(origin) : http2.connect(origin, { ca, ALPNProtocols: ['h2'] })
      opened.on('error', () => {})
      session = opened
    }
    return session
  }
  return {
    origin,
    request: (request) =>
      new Promise<DraftResponse>((resolve, reject) => {
        const { body } = request
        const headers: OutgoingHttpHeaders = { ':method': request.method, ':path': pathFor(request.url, origin), ...request.headers }
        if ((typeof body === 'string' || body instanceof Uint8Array) && headers['content-length'] === undefined) {
          headers['content-length'] = Buffer.byteLength(body)
        }
        const stream = connect().request(headers, { endStream: body === undefined })
        const interim: Interim[] = []
        let status = 0
        let responseHeaders: Record<string, string> = {}
        const chunks: Buffer[] = []
        // RFC 9113 §8.1: interim responses arrive as HEADERS frames before the final one.
        stream.on('headers', (headers) => {
          const received = { status: Number(headers[':status']), headers: flattenHeaders(headers) }
          interim.push(received)
          request.onInterim?.(received)
        })
        stream.on('response', (received) => {
          status = Number(received[':status'])
          responseHeaders = flattenHeaders(received)
        })
        stream.on('data', (chunk: Buffer) => chunks.push(chunk))
        const done = (): void => resolve(draftResponse(status, responseHeaders, Buffer.concat(chunks), interim))
        stream.on('end', done)
        stream.on('close', () => (status !== 0 ? done() : reject(new Error(`stream closed without a response (code ${stream.rstCode})`))))
        stream.on('error', (error) => {
          if (status === 0) reject(error)
        })
        if (body !== undefined) void writeBody(stream, body)
      }),
    close: () =>
      new Promise<void>((resolve) => {
        if (session === undefined || session.closed) return resolve()
        session.close(() => resolve())
      }),
    destroy: () => session?.destroy(),
  }
}

async function writeBody(stream: NodeJS.WritableStream & { destroyed?: boolean; destroy?(error?: Error): void }, body: RequestBody | undefined): Promise<void> {
  if (body === undefined) return void stream.end()
  if (typeof body === 'string' || body instanceof Uint8Array) return void stream.end(body)
  try {
    for await (const chunk of body) {
      if (stream.destroyed === true) return
      if (!stream.write(chunk)) await new Promise((drained) => stream.once('drain', drained))
    }
    if (stream.destroyed !== true) stream.end()
  } catch (error) {
    stream.destroy?.(error as Error)
  }
}

/** The request target: `*` (for `OPTIONS *`) as is, else a path on `origin`. */
function pathFor(url: string, origin: string): string {
  return url === '*' ? url : requestPath(url, origin)
}

function hasHeader(headers: Record<string, unknown>, name: string): boolean {
  return Object.keys(headers).some((key) => key.toLowerCase() === name)
}

function draftResponse(status: number, headers: Record<string, string>, body: Buffer, interim: Interim[]): DraftResponse {
  return { status, headers, body, text: body.toString('utf8'), interim }
}
