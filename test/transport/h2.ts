import http2, { type ClientHttp2Session, type ClientHttp2Stream, type OutgoingHttpHeaders } from 'node:http2'

/** A finished HTTP/2 exchange as a node:http2 client saw it. */
export interface H2Answer {
  readonly status: number
  readonly headers: http2.IncomingHttpHeaders
  readonly body: Buffer
  /** The RST_STREAM code the stream closed with (0 when it ended normally or with NO_ERROR). */
  readonly rstCode: number
}

/** Opens an h2c session (or TLS h2 when `ca` is given) that ignores session errors (tests look at streams). */
export function connect(port: number, ca?: string): ClientHttp2Session {
  const session = ca === undefined ? http2.connect(`http://127.0.0.1:${port}`) : http2.connect(`https://localhost:${port}`, { ca })
  session.on('error', () => {})
  return session
}

/** Resolves once the stream has closed, with its answer; a stream reset before any answer has status 0. */
export function answer(stream: ClientHttp2Stream): Promise<H2Answer> {
  return new Promise((resolve) => {
    let status = 0
    let headers: http2.IncomingHttpHeaders = {}
    const chunks: Buffer[] = []
    stream.on('response', (h) => {
      status = Number(h[':status'])
      headers = h
    })
    stream.on('data', (chunk: Buffer) => chunks.push(chunk))
    stream.on('error', () => {})
    // A stream the server reset (even with NO_ERROR) while this side was still sending never finishes
    // its writable side in node's client, so it would never close; once its answer is read, end it here.
    stream.on('aborted', () => {
      if (stream.readableEnded) stream.destroy()
      else stream.once('end', () => stream.destroy())
    })
    stream.on('close', () => resolve({ status, headers, body: Buffer.concat(chunks), rstCode: stream.rstCode ?? 0 }))
  })
}

/** Sends one request on `session` with an optional whole body, and waits for its answer. */
export function request(session: ClientHttp2Session, headers: OutgoingHttpHeaders, body?: Uint8Array): Promise<H2Answer> {
  const stream = session.request(headers, { endStream: body === undefined })
  const answered = answer(stream)
  if (body !== undefined) stream.end(body)
  return answered
}

/** Writes `bytes` in chunks on an open stream, respecting flow control; ends the stream if asked. */
export async function writeChunks(stream: ClientHttp2Stream, bytes: Uint8Array, chunkSize: number, end: boolean): Promise<void> {
  for (let at = 0; at < bytes.length; at += chunkSize) {
    if (stream.destroyed) return
    if (!stream.write(bytes.subarray(at, at + chunkSize))) {
      await new Promise<void>((resolve) => {
        const done = (): void => {
          stream.off('drain', done).off('close', done)
          resolve()
        }
        stream.on('drain', done).on('close', done)
      })
    }
  }
  if (end) stream.end()
}
