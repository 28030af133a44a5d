import http2, { type ClientHttp2Session, type OutgoingHttpHeaders } from 'node:http2'
import { flattenHeaders, requestPath, testResponse, type TestClient, type TestRequest, type TestResponse } from './client.js'

/**
 * HTTP/2 through node:http2 on one session: h2c with prior knowledge (`ca` undefined) or TLS h2
 * verified against `ca`. The request's headers go out as given; `:authority` may be overridden by a
 * header named `:authority`.
 */
export function http2Client(port: number, ca?: string): TestClient {
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
  }
}

function send(session: ClientHttp2Session, origin: string, request: TestRequest): Promise<TestResponse> {
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
  return new Promise<TestResponse>((resolve, reject) => {
    const stream = session.request(headers, { endStream: body === undefined })
    let status = 0
    let responseHeaders: Record<string, string> = {}
    const chunks: Buffer[] = []
    stream.on('response', (received) => {
      status = Number(received[':status'])
      responseHeaders = flattenHeaders(received)
    })
    stream.on('data', (chunk: Buffer) => chunks.push(chunk))
    stream.on('end', () => resolve(testResponse(status, responseHeaders, Buffer.concat(chunks))))
    // A stream the server closed after answering early (RST_STREAM NO_ERROR) still has its answer.
    stream.on('close', () => {
      if (status !== 0) resolve(testResponse(status, responseHeaders, Buffer.concat(chunks)))
      else reject(new Error(`stream closed without a response (code ${stream.rstCode})`))
    })
    stream.on('error', (error) => {
      if (status === 0) reject(error)
    })
    if (body === undefined) return
    if (typeof body === 'string' || body instanceof Uint8Array) {
      stream.end(body)
      return
    }
    void (async () => {
      try {
        for await (const chunk of body) {
          if (stream.destroyed || stream.closed) return
          if (!stream.write(chunk)) await new Promise((drained) => stream.once('drain', drained))
        }
        if (!stream.destroyed) stream.end()
      } catch (error) {
        stream.destroy(error as Error)
      }
    })()
  })
}
