import { createHash } from 'node:crypto'
import http from 'node:http'
import * as tus from 'tus-js-client'

// tus-js-client 4.3.1 reads `protocol` at runtime, but its type definitions do not declare it.
declare module 'tus-js-client' {
  interface UploadOptions {
    protocol?: 'tus-v1' | 'ietf-draft-03' | 'ietf-draft-05'
  }
}

export const MiB = 1024 * 1024

export const sha256 = (data: Uint8Array): string => createHash('sha256').update(data).digest('hex')

/** An answer a client got: its request, its status, and whether nginx made it (502/504: a gateway never answers those). */
export interface Seen {
  readonly method: string
  readonly status: number
}

export function madeByNginx(seen: Seen): boolean {
  return seen.status === 502 || seen.status === 504
}

/** A tus-js-client upload run to its end: its URL and every answer its requests got. */
export interface Uploaded {
  readonly url: string
  readonly seen: Seen[]
}

/**
 * Uploads `data` with tus-js-client (in this process, Node's http), to its end; rejects with the
 * client's error. `onProgress` sees the bytes acknowledged so far; `client` is handed the running upload.
 */
export function uploadWithTusJs(data: Buffer, options: Partial<tus.UploadOptions>, onProgress?: (sent: number) => void): Promise<Uploaded> {
  const seen: Seen[] = []
  return new Promise((resolve, reject) => {
    const upload = new tus.Upload(data, {
      retryDelays: [0, 200, 500, 1000, 1000, 2000, 2000, 3000, 3000, 5000],
      ...options,
      onAfterResponse: (request, response) => {
        seen.push({ method: request.getMethod(), status: response.getStatus() })
      },
      onProgress: (sent) => onProgress?.(sent),
      onError: (error) => reject(Object.assign(error, { seen })),
      onSuccess: () => resolve({ url: upload.url ?? '', seen }),
    })
    upload.start()
  })
}

/** The bytes of an upload, read with GET (through nginx). */
export async function download(url: string): Promise<Buffer> {
  const response = await fetch(url)
  if (response.status !== 200) throw new Error(`GET ${url} answered ${response.status}`)
  return Buffer.from(await response.arrayBuffer())
}

/** The id at the end of an upload URL. */
export function idOf(url: string): string {
  return new URL(url).pathname.split('/').pop() ?? ''
}

/** A complete answer of a raw request. */
export interface Reply {
  readonly status: number
  readonly headers: http.IncomingHttpHeaders
  readonly body: string
}

const TUS = { 'tus-resumable': '1.0.0' }

/** One tus request on its own connection, read to its end; status 0 (and the error in `body`) when no answer came. */
export function send(method: string, url: string, headers: http.OutgoingHttpHeaders = {}, body?: Buffer): Promise<Reply> {
  return new Promise((resolve) => {
    const request = http.request(url, { method, agent: false, headers: { ...TUS, ...headers } }, (response) => {
      const parts: Buffer[] = []
      response.on('data', (part: Buffer) => parts.push(part))
      response.once('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(parts).toString('utf8') }))
      response.once('error', (error) => resolve({ status: 0, headers: {}, body: error.message }))
    })
    request.once('error', (error) => resolve({ status: 0, headers: {}, body: error.message }))
    request.end(body)
  })
}

/** Creates a tus upload of `length` bytes (more headers for concatenation); returns its URL, resolved against `collection`. */
export async function create(collection: string, length: number | undefined, headers: http.OutgoingHttpHeaders = {}): Promise<string> {
  const reply = await send('POST', collection, { ...(length === undefined ? {} : { 'upload-length': String(length) }), ...headers })
  if (reply.status !== 201 || reply.headers.location === undefined) throw new Error(`creation answered ${reply.status}: ${reply.body}`)
  return new URL(reply.headers.location, collection).href
}

/** The offset a HEAD reports; throws unless it answers 200. */
export async function offsetOf(url: string): Promise<number> {
  const reply = await send('HEAD', url)
  if (reply.status !== 200) throw new Error(`HEAD ${url} answered ${reply.status}`)
  return Number(reply.headers['upload-offset'])
}

/** A whole PATCH of `body` at `offset`. */
export function patch(url: string, offset: number, body: Buffer): Promise<Reply> {
  return send('PATCH', url, { 'upload-offset': String(offset), 'content-type': 'application/offset+octet-stream' }, body)
}

/** A PATCH whose body the test writes piece by piece, and may leave hanging with the connection open. */
export interface OpenPatch {
  write(piece: Buffer): Promise<void>
  /** Resolves with the answer, or status 0 when the connection ended without one. */
  readonly ended: Promise<Reply>
  destroy(): void
}

export function openPatch(url: string, offset: number, contentLength: number): OpenPatch {
  const request = http.request(url, {
    method: 'PATCH',
    agent: false,
    headers: { ...TUS, 'upload-offset': String(offset), 'content-type': 'application/offset+octet-stream', 'content-length': String(contentLength) },
  })
  const ended = new Promise<Reply>((resolve) => {
    request.once('response', (response) => {
      const parts: Buffer[] = []
      response.on('data', (part: Buffer) => parts.push(part))
      response.once('close', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(parts).toString('utf8') }))
    })
    request.once('error', (error) => resolve({ status: 0, headers: {}, body: error.message }))
  })
  request.flushHeaders()
  return {
    write: (piece) => new Promise((resolve, reject) => request.write(piece, (error) => (error ? reject(error) : resolve()))),
    ended,
    destroy: () => request.destroy(),
  }
}
