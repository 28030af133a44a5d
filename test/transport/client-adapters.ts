import { execFile } from 'node:child_process'
import { readFile, writeFile } from 'node:fs/promises'
import http2 from 'node:http2'
import { join } from 'node:path'
import { promisify } from 'node:util'
import http2wrapper from 'http2-wrapper'
import { Client } from 'undici'
import { flattenHeaders } from '../support/client.js'

/** What one request gave back, with header names in lower case. */
export interface Answer {
  readonly status: number
  readonly headers: Record<string, string>
  readonly body: Buffer
  /** The HTTP version the answer came over: `1.1` or `2`. */
  readonly httpVersion: string
}

/** One way to send a request, used by a test that runs the same upload through every client. */
export interface Sender {
  send(method: string, url: string, headers: Record<string, string>, body?: Buffer): Promise<Answer>
  close(): Promise<void>
}

/**
 * curl 7.88 at /usr/bin/curl, one process per request (a second URL on a reused h2c connection
 * fails in this version). `mode` is the flag choosing the protocol; bodies go from a file with `-T`.
 */
export function curlSender(mode: '--http1.1' | '--http2-prior-knowledge' | '--http2', workDir: string, ca?: string): Sender {
  let count = 0
  return {
    async send(method, url, headers, body) {
      count += 1
      const args = ['-sS', mode, '-X', method, '-D', '-', '-o', join(workDir, `body-${count}`), '-w', '\n%{http_version}']
      if (ca !== undefined) args.push('--cacert', ca)
      // curl adds `Expect: 100-continue` on HTTP/1.1 for bodies over 1 MiB; the empty header keeps it out here.
      args.push('-H', 'Expect:')
      for (const [name, value] of Object.entries(headers)) args.push('-H', `${name}: ${value}`)
      if (body !== undefined) {
        const file = join(workDir, `upload-${count}`)
        await writeFile(file, body)
        args.push('-T', file)
      }
      if (method === 'HEAD') args.push('-I')
      args.push(url)
      const { stdout } = await promisify(execFile)('/usr/bin/curl', args, { maxBuffer: 1 << 20, encoding: 'latin1' })
      const lines = stdout.split('\r\n')
      const httpVersion = stdout.trim().split('\n').at(-1) as string
      const status = Number(/^HTTP\/[\d.]+ (\d{3})/.exec(lines[0] as string)?.[1])
      const headerLines = lines.slice(1, lines.indexOf(''))
      const received: Record<string, string> = {}
      for (const line of headerLines) {
        const colon = line.indexOf(':')
        received[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim()
      }
      const responseBody = method === 'HEAD' ? Buffer.alloc(0) : await readFile(join(workDir, `body-${count}`)).catch(() => Buffer.alloc(0))
      return { status, headers: received, body: responseBody, httpVersion }
    },
    close: async () => {},
  }
}

/** node:http2 on one session (h2c, or TLS h2 trusting `ca`). */
export function nodeHttp2Sender(origin: string, ca?: string): Sender {
  const session = http2.connect(origin, ca === undefined ? {} : { ca })
  session.on('error', () => {})
  return {
    send: (method, url, headers, body) =>
      new Promise((resolve, reject) => {
        const stream = session.request({ ':method': method, ':path': new URL(url).pathname, ...headers }, { endStream: body === undefined })
        let status = 0
        let received: Record<string, string> = {}
        const chunks: Buffer[] = []
        stream.on('response', (h) => {
          status = Number(h[':status'])
          received = flattenHeaders(h)
        })
        stream.on('data', (chunk: Buffer) => chunks.push(chunk))
        stream.on('end', () => resolve({ status, headers: received, body: Buffer.concat(chunks), httpVersion: '2' }))
        stream.on('error', reject)
        if (body !== undefined) stream.end(body)
      }),
    close: () => new Promise((resolve) => session.close(() => resolve())),
  }
}

/**
 * http2-wrapper as a client: over TLS through its own Agent (trusting `ca`), or over h2c on a
 * node:http2 session given to it (`h2session`), which is how it speaks prior knowledge.
 */
export function http2WrapperSender(origin: string, ca?: string): Sender {
  const h2session = ca === undefined ? http2.connect(origin) : undefined
  h2session?.on('error', () => {})
  const agent = ca === undefined ? undefined : new http2wrapper.Agent()
  return {
    send: (method, url, headers, body) =>
      new Promise((resolve, reject) => {
        const request = http2wrapper.request(
          url,
          { method, headers, ...(h2session === undefined ? { agent, ca } : { h2session }) },
          (response) => {
            const chunks: Buffer[] = []
            response.on('data', (chunk: Buffer) => chunks.push(chunk))
            response.on('end', () =>
              resolve({
                status: response.statusCode ?? 0,
                headers: flattenHeaders(response.headers),
                body: Buffer.concat(chunks),
                httpVersion: response.httpVersion === '2.0' ? '2' : response.httpVersion,
              }),
            )
            response.on('error', reject)
          },
        )
        request.on('error', reject)
        request.end(body)
      }),
    close: async () => {
      agent?.destroy()
      await new Promise<void>((resolve) => (h2session === undefined ? resolve() : h2session.close(() => resolve())))
    },
  }
}

/** undici's Client: HTTP/1.1 in cleartext, or (with `ca`) TLS where it may pick h2 by ALPN (`allowH2`). */
export function undiciSender(origin: string, ca?: string): Sender {
  const client = new Client(origin, ca === undefined ? {} : { connect: { ca, servername: 'localhost' }, allowH2: true })
  return {
    async send(method, url, headers, body) {
      const response = await client.request({ method: method as 'GET', path: new URL(url).pathname, headers, body })
      const responseBody = Buffer.from(await response.body.arrayBuffer())
      const received = flattenHeaders(response.headers)
      // undici does not say which version it used. node's HTTP/1.1 answers always carry `Connection`
      // (keep-alive or close); HTTP/2 answers never do (RFC 9113 §8.2.2 forbids it).
      return { status: response.statusCode, headers: received, body: responseBody, httpVersion: 'connection' in received ? '1.1' : '2' }
    },
    close: () => client.close(),
  }
}
