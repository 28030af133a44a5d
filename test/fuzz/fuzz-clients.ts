import http2, { type ClientHttp2Session, type OutgoingHttpHeaders } from 'node:http2'
import type { FuzzRequest } from './arbitraries.js'
import { sendRaw, type RawExchange } from './raw-http1.js'

/** Frames a request for HTTP/1.1 byte by byte: our own Host and framing headers, the request's, `Connection: close`. */
function http1Bytes(request: FuzzRequest, port: number): string[] {
  const lines = [`${request.method} ${request.path} HTTP/1.1`, `Host: 127.0.0.1:${port}`]
  for (const [name, value] of request.headers) lines.push(`${name}: ${value}`)
  const { body } = request
  if (body !== undefined) lines.push(request.chunked ? 'Transfer-Encoding: chunked' : `Content-Length: ${body.byteLength}`)
  lines.push('Connection: close')
  const head = `${lines.join('\r\n')}\r\n\r\n`
  if (body === undefined) return [head]
  const bytes = Buffer.from(body).toString('latin1')
  if (!request.chunked) return [head, bytes]
  // Two chunks when there is something to split, then the last chunk with the trailer section.
  const half = Math.ceil(bytes.length / 2)
  const chunks = [bytes.slice(0, half), bytes.slice(half)].filter((chunk) => chunk.length > 0)
  const framed = chunks.map((chunk) => `${chunk.length.toString(16)}\r\n${chunk}\r\n`).join('')
  const trailers = request.trailers.map(([name, value]) => `${name}: ${value}\r\n`).join('')
  return [head, `${framed}0\r\n${trailers}\r\n`]
}

/** Sends a request over HTTP/1.1 on a fresh connection and reads until the server closes it. */
export function sendHttp1(request: FuzzRequest, port: number): Promise<RawExchange> {
  return sendRaw(port, http1Bytes(request, port), { waitMs: 10_000 })
}

/** What became of a request on an HTTP/2 stream. */
export type StreamOutcome =
  | { readonly kind: 'response'; readonly status: number; readonly location: string | undefined; readonly body: string }
  | { readonly kind: 'reset'; readonly code: number }

/**
 * Sends a request on an HTTP/2 session as a client would: a repeated header keeps its last value (node
 * sends a field once per name), the body in one DATA frame, the trailers as trailing headers. Returns
 * undefined when node's client refuses to send the request at all (a header it deems invalid).
 */
export function sendHttp2(session: ClientHttp2Session, request: FuzzRequest): Promise<StreamOutcome> | undefined {
  const headers: OutgoingHttpHeaders = { ':method': request.method, ':path': request.path }
  for (const [name, value] of request.headers) headers[name] = value
  const { body, trailers } = request
  let stream: http2.ClientHttp2Stream
  try {
    stream = session.request(headers, { endStream: body === undefined, waitForTrailers: body !== undefined && trailers.length > 0 })
  } catch {
    return undefined
  }
  return new Promise<StreamOutcome>((resolve) => {
    let status = 0
    let location: string | undefined
    const parts: Buffer[] = []
    stream.on('response', (received) => {
      status = Number(received[':status'])
      location = received.location
    })
    stream.on('data', (part: Buffer) => parts.push(part))
    stream.on('wantTrailers', () => {
      try {
        stream.sendTrailers(Object.fromEntries(trailers))
      } catch {
        stream.close()
      }
    })
    // An answer that came before the stream was reset (a body refused early) is still the answer.
    stream.on('close', () =>
      resolve(status === 0 ? { kind: 'reset', code: stream.rstCode ?? 0 } : { kind: 'response', status, location, body: Buffer.concat(parts).toString('utf8') }),
    )
    stream.on('error', () => {})
    if (body !== undefined) stream.end(body)
  })
}
