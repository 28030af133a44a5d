import { stat } from 'node:fs/promises'
import http, { type ClientRequest, type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'

// The id at the end of an upload URL, beside the requests that make and name uploads.
export { idOf } from '../support/tus.js'

// Small tus 1.0.0 requests over node:http, each on its own connection (`agent: false`), so that a
// stalled request never shares a socket with the one that interrupts it.

const TUS = { 'tus-resumable': '1.0.0' }

/** A complete response: status, headers and body text. */
export interface Reply {
  readonly status: number
  readonly headers: IncomingHttpHeaders
  readonly body: string
}

/** Sends one request with an optional body and reads the whole response. */
export function send(method: string, url: string, headers: OutgoingHttpHeaders = {}, body?: Buffer | string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const request = http.request(url, { method, agent: false, headers: { ...TUS, ...headers } }, (response) => {
      const parts: Buffer[] = []
      response.on('data', (part: Buffer) => parts.push(part))
      response.once('end', () =>
        resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(parts).toString('utf8') }),
      )
      response.once('error', reject)
    })
    request.once('error', reject)
    request.end(body)
  })
}

/** Creates an upload (POST) and returns its absolute URL. */
export async function createUpload(collectionUrl: string, length: number, headers: OutgoingHttpHeaders = {}): Promise<string> {
  const reply = await send('POST', collectionUrl, { 'upload-length': String(length), ...headers })
  if (reply.status !== 201 || reply.headers.location === undefined) {
    throw new Error(`creation failed: ${reply.status} ${reply.body}`)
  }
  return new URL(reply.headers.location, collectionUrl).href
}

/** HEAD of an upload. */
export function head(url: string): Promise<Reply> {
  return send('HEAD', url)
}

/** The stored offset of an upload, read with HEAD; throws unless the HEAD answers 200. */
export async function offsetOf(url: string): Promise<number> {
  const reply = await head(url)
  if (reply.status !== 200) throw new Error(`HEAD ${url} answered ${reply.status}`)
  return Number(reply.headers['upload-offset'])
}

/** A whole PATCH. */
export function patch(url: string, offset: number, body: Buffer): Promise<Reply> {
  return send('PATCH', url, { 'upload-offset': String(offset), 'content-type': 'application/offset+octet-stream' }, body)
}

/** How a PATCH that was left open ended, from its client's point of view. */
export type PatchEnd = Reply | { readonly closed: string }

/** A PATCH whose body the test writes piece by piece, and may leave unfinished with the connection open. */
export interface OpenPatch {
  readonly request: ClientRequest
  /** Writes a piece of the body; resolves once node has handed it to the socket. */
  write(piece: Buffer): Promise<void>
  /** Bytes written so far. */
  readonly written: number
  /** Resolves with the response, or with `{ closed }` if the connection ends without one. Never rejects. */
  readonly ended: Promise<PatchEnd>
}

/**
 * Starts a PATCH announcing `contentLength` bytes (or chunked, when undefined), without sending any body yet.
 */
export function openPatch(url: string, offset: number, contentLength: number | undefined): OpenPatch {
  const headers: OutgoingHttpHeaders = {
    ...TUS,
    'upload-offset': String(offset),
    'content-type': 'application/offset+octet-stream',
  }
  if (contentLength !== undefined) headers['content-length'] = String(contentLength)
  const request = http.request(url, { method: 'PATCH', agent: false, headers })
  let written = 0
  const ended = new Promise<PatchEnd>((resolve) => {
    let answered = false
    request.once('response', (response) => {
      answered = true
      const parts: Buffer[] = []
      response.on('data', (part: Buffer) => parts.push(part))
      // The server may close the connection right after its answer; the answer still counts.
      response.once('close', () =>
        resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(parts).toString('utf8') }),
      )
    })
    request.once('error', (error: NodeJS.ErrnoException) => {
      if (!answered) resolve({ closed: error.code ?? error.message })
    })
    request.once('close', () => {
      if (!answered) resolve({ closed: 'close' })
    })
  })
  request.flushHeaders()
  return {
    request,
    get written() {
      return written
    },
    write(piece) {
      return new Promise((resolve, reject) => {
        request.write(piece, (error) => {
          if (error) return reject(error)
          written += piece.byteLength
          resolve()
        })
      })
    },
    ended,
  }
}

/**
 * Waits until the data file of upload `id` in `uploadDir` holds at least `bytes` bytes (the gateway has
 * stored what was sent), checking every 10 ms; rejects after `timeoutMs`.
 */
export async function waitForStoredBytes(uploadDir: string, id: string, bytes: number, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const size = await stat(join(uploadDir, id)).then(
      (stats) => stats.size,
      () => 0,
    )
    if (size >= bytes) return
    if (Date.now() > deadline) throw new Error(`upload ${id} holds ${size} bytes after ${timeoutMs} ms, expected ${bytes}`)
    await sleep(10)
  }
}
