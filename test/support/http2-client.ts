import http2, { type ClientHttp2Session, type OutgoingHttpHeaders } from 'node:http2'
import {
  flattenHeaders,
  requestPath,
  testResponse,
  writeBody,
  type Interim,
  type ResponseWithInterim,
  type TestClient,
  type TestRequest,
} from './client.js'

/** A TestClient over HTTP/2 that also reports interim responses, and can drop its session. */
export interface Http2TestClient extends TestClient {
  request(request: TestRequest): Promise<ResponseWithInterim>
  /** Drops the session at once, streams in flight included (a client that loses its network). */
  destroy(): void
}

/**
 * HTTP/2 through node:http2 on one session: h2c with prior knowledge (`ca` undefined) or TLS h2
 * verified against `ca`. The request's headers go out as given; `:authority` may be overridden by a
 * header named `:authority`. Interim responses arrive as HEADERS frames before the final one (RFC 9113 §8.1).
 */
export function http2Client(port: number, ca?: string): Http2TestClient {
  const origin = `${ca === undefined ? 'http' : 'https'}://127.0.0.1:${port}`
  let session: ClientHttp2Session | undefined
  const connect = (): ClientHttp2Session => {
    if (session === undefined || session.closed || session.destroyed) {
      const opened = ca === undefined ? http2.connect(origin) : http2.connect(origin, { ca, ALPNProtocols: ['h2'] })
      // A failed session shows up in the request that uses it; this keeps it from crashing the process.
      opened.on('error', () => {})
      session = opened
    }
    return session
  }
  return {
    origin,
    request: (request) => send(connect(), origin, request),
    close: () =>
      new Promise<void>((resolve) => {
        if (session === undefined || session.closed) return resolve()
        session.close(() => resolve())
      }),
    destroy: () => session?.destroy(),
  }
}

function send(session: ClientHttp2Session, origin: string, request: TestRequest): Promise<ResponseWithInterim> {
  const { body } = request
  const headers: OutgoingHttpHeaders = {
    ':method': request.method,
    ':path': requestPath(request.url, origin),
    ...request.headers,
  }
  // As browsers and curl do, a body of known size is announced.
  if ((typeof body === 'string' || body instanceof Uint8Array) && headers['content-length'] === undefined) {
    headers['content-length'] = Buffer.byteLength(body)
  }
  return new Promise<ResponseWithInterim>((resolve, reject) => {
    const stream = session.request(headers, { endStream: body === undefined })
    const interim: Interim[] = []
    let status = 0
    let responseHeaders: Record<string, string> = {}
    const chunks: Buffer[] = []
    stream.on('headers', (received) => {
      const response = { status: Number(received[':status']), headers: flattenHeaders(received) }
      interim.push(response)
      request.onInterim?.(response)
    })
    stream.on('response', (received) => {
      status = Number(received[':status'])
      responseHeaders = flattenHeaders(received)
    })
    stream.on('data', (chunk: Buffer) => chunks.push(chunk))
    const done = (): void => resolve({ ...testResponse(status, responseHeaders, Buffer.concat(chunks)), interim })
    stream.on('end', done)
    // A stream the server closed after answering early (RST_STREAM NO_ERROR) still has its answer.
    stream.on('close', () => (status !== 0 ? done() : reject(new Error(`stream closed without a response (code ${stream.rstCode})`))))
    stream.on('error', (error) => {
      if (status === 0) reject(error)
    })
    if (body !== undefined) void writeBody(stream, body)
  })
}
