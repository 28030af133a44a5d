import { createHash } from 'node:crypto'
import { once } from 'node:events'
import { createServer, type IncomingHttpHeaders, type OutgoingHttpHeaders, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'

/** One request the application received, as it received it. */
export interface Received {
  readonly method: string
  readonly url: string
  readonly headers: IncomingHttpHeaders
  readonly bytes: number
  readonly sha256: string
}

/**
 * How the application answers: a list consumed in order, so a test can script failures. `ok` may lay `headers`
 * over its answer's, and send `103 Early Hints` (`earlyHints`) and `102 Processing` (`processing`) before it.
 */
export type Behaviour =
  | { readonly kind: 'ok'; readonly status?: number; readonly headers?: OutgoingHttpHeaders; readonly earlyHints?: Record<string, string | string[]>; readonly processing?: number }
  | { readonly kind: 'status'; readonly status: number }
  | { readonly kind: 'slow'; readonly ms: number }
  | { readonly kind: 'reset' }

/** A small real application behind the gateway: `POST /api/photos` hashes the body, answers 201 JSON and a Location. */
export interface TestApp {
  readonly url: string
  readonly port: number
  readonly received: Received[]
  /** Every request's method and target as it arrived, whatever its path. */
  readonly seen: { readonly method: string; readonly url: string }[]
  /** Targets of the requests whose connection closed before their body ended. */
  readonly cut: string[]
  /** What the next uploads meet, in order; when empty, every upload is answered 201. */
  readonly script: Behaviour[]
  close(): Promise<void>
}

/**
 * Starts the application on 127.0.0.1 and a free port. Uploads (POST or PUT under /api/) are hashed as they
 * stream in, never held whole; `GET /api/hello` answers text, `OPTIONS` answers 204 with `Allow`, and any other
 * path 404. Its memory use stays flat, whatever the upload size.
 */
export async function startApp(port = 0): Promise<TestApp> {
  const received: Received[] = []
  const seen: { method: string; url: string }[] = []
  const cut: string[] = []
  const script: Behaviour[] = []
  const server: Server = createServer((request, response) => {
    const url = request.url ?? '/'
    seen.push({ method: request.method ?? '', url })
    request.once('close', () => {
      if (!request.complete) cut.push(url)
    })
    if (request.method === 'OPTIONS') {
      response.writeHead(204, { allow: 'GET, POST, PUT, OPTIONS', 'x-app': 'yes' }).end()
      return
    }
    if (request.method === 'GET' && url.startsWith('/api/hello')) {
      response.writeHead(200, { 'content-type': 'text/plain', 'set-cookie': ['a=1', 'b=2'], 'x-app': 'yes' })
      response.end(`hello from the application: ${url} ${request.headers['x-forwarded-for'] ?? ''}\n`)
      return
    }
    if ((request.method === 'POST' || request.method === 'PUT') && url.startsWith('/api/')) {
      const behaviour = script.shift() ?? { kind: 'ok' }
      if (behaviour.kind === 'reset') {
        request.socket.destroy()
        return
      }
      const hash = createHash('sha256')
      let bytes = 0
      request.on('data', (chunk: Buffer) => {
        bytes += chunk.length
        hash.update(chunk)
      })
      request.on('end', () => {
        const sha256 = hash.digest('hex')
        received.push({ method: request.method ?? '', url, headers: request.headers, bytes, sha256 })
        const answer = (): void => {
          if (behaviour.kind === 'status') {
            response.writeHead(behaviour.status, { 'content-type': 'text/plain' }).end(`the application failed (${behaviour.status})\n`)
            return
          }
          const id = received.length
          const body = JSON.stringify({ id, bytes, sha256, contentType: request.headers['content-type'] ?? null })
          const extra: Extract<Behaviour, { kind: 'ok' }> = behaviour.kind === 'ok' ? behaviour : { kind: 'ok' }
          for (let sent = 0; sent < (extra.processing ?? 0); sent++) response.writeProcessing()
          if (extra.earlyHints !== undefined) response.writeEarlyHints(extra.earlyHints)
          response.writeHead(extra.status ?? 201, { 'content-type': 'application/json', location: `/api/photos/${id}`, 'x-app': 'yes', ...extra.headers }).end(body)
        }
        if (behaviour.kind === 'slow') setTimeout(answer, behaviour.ms)
        else answer()
      })
      return
    }
    response.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n')
  })
  server.listen(port, '127.0.0.1')
  await once(server, 'listening')
  const actual = (server.address() as AddressInfo).port
  return {
    url: `http://127.0.0.1:${actual}`,
    port: actual,
    received,
    seen,
    cut,
    script,
    async close() {
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}
