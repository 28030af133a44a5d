import http from 'node:http'
import {
  flattenHeaders,
  requestPath,
  testResponse,
  writeBody,
  type Interim,
  type ResponseWithInterim,
  type TestRequest,
} from '../support/client.js'
import type { TestGateway } from '../support/gateway.js'
import { http2Client } from '../support/http2-client.js'

export type { Interim } from '../support/client.js'

/** A draft request: `onInterim` sees each 104 as it arrives. */
export type DraftRequest = TestRequest

/** The final response of a draft request, and every interim response that came before it. */
export type DraftResponse = ResponseWithInterim

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
  { name: 'h2c', connect: (gateway) => http2Client(gateway.port) },
]

/** Also TLS (ALPN h2), for suites that check what differs by connection (Location's scheme). */
export const tlsDraftTransport: DraftTransport = {
  name: 'TLS h2',
  connect: (gateway) => http2Client(gateway.port, gateway.ca),
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
          { host: '127.0.0.1', port, method: request.method, path: requestPath(request.url, origin), headers, agent },
          (res) => {
            answered = true
            const chunks: Buffer[] = []
            res.on('data', (chunk: Buffer) => chunks.push(chunk))
            res.on('end', () => resolve({ ...testResponse(res.statusCode ?? 0, flattenHeaders(res.headers), Buffer.concat(chunks)), interim }))
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

function hasHeader(headers: Record<string, unknown>, name: string): boolean {
  return Object.keys(headers).some((key) => key.toLowerCase() === name)
}
