import net from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'

/** One response read off the wire: its status, headers (names in lower case) and body. */
export interface RawResponse {
  readonly status: number
  readonly headers: Readonly<Record<string, string>>
  readonly body: string
}

/** What a raw exchange produced: every response in order (interim ones included), and how the connection ended. */
export interface RawExchange {
  readonly responses: readonly RawResponse[]
  /** The final (non-1xx) responses. */
  readonly finals: readonly RawResponse[]
  /** `closed`: the server ended the connection; `open`: it was still open when the wait ran out. */
  readonly ended: 'closed' | 'open'
  /** The bytes received, as latin1 (for failure messages). */
  readonly text: string
}

export interface RawOptions {
  /** Pause between two parts, so that each is likely to arrive in its own read. */
  readonly gapMs?: number
  /** After the last part: `end` half-closes, `reset` destroys the socket with a TCP RST, `none` leaves it open. */
  readonly after?: 'end' | 'reset' | 'none'
  /** How long to wait for the server to close the connection (a bounded wait, not an assertion on speed). */
  readonly waitMs?: number
}

/**
 * Sends bytes on a fresh TCP connection to 127.0.0.1:`port`, exactly as given (no framing is added), and
 * reads what comes back until the server closes the connection or `waitMs` runs out. Parses every
 * response in the bytes received; a response to HEAD must be the last one (its framing needs the request).
 */
export function sendRaw(port: number, parts: readonly (string | Uint8Array)[], options: RawOptions = {}): Promise<RawExchange> {
  const { gapMs = 20, after = 'none', waitMs = 5_000 } = options
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1')
    const received: Buffer[] = []
    let settled = false
    const finish = (ended: 'closed' | 'open'): void => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      socket.destroy()
      const text = Buffer.concat(received).toString('latin1')
      const responses = parseResponses(text)
      resolve({ responses, finals: responses.filter((response) => response.status >= 200), ended, text })
    }
    const timer = setTimeout(() => finish('open'), waitMs)
    socket.on('data', (chunk: Buffer) => received.push(chunk))
    socket.on('close', () => finish('closed'))
    // A reset from the server after its answer is an ordinary way for it to close.
    socket.on('error', () => finish('closed'))
    socket.once('connect', async () => {
      for (const part of parts) {
        if (socket.destroyed) return
        socket.write(typeof part === 'string' ? Buffer.from(part, 'latin1') : part)
        if (gapMs > 0) await sleep(gapMs)
      }
      if (after === 'end') socket.end()
      if (after === 'reset') {
        socket.resetAndDestroy()
        finish('closed')
      }
    })
  })
}

/** Splits a byte stream of HTTP/1.1 responses into responses, using `Content-Length` to skip bodies. */
function parseResponses(text: string): RawResponse[] {
  const responses: RawResponse[] = []
  let rest = text
  while (rest.startsWith('HTTP/1.')) {
    const end = rest.indexOf('\r\n\r\n')
    if (end === -1) break
    const [statusLine = '', ...lines] = rest.slice(0, end).split('\r\n')
    const status = Number(statusLine.split(' ')[1])
    const headers: Record<string, string> = {}
    for (const line of lines) {
      const colon = line.indexOf(':')
      if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim()
    }
    rest = rest.slice(end + 4)
    const length = status >= 200 && status !== 204 && status !== 304 ? Number(headers['content-length'] ?? 0) : 0
    responses.push({ status, headers, body: rest.slice(0, length) })
    rest = rest.slice(length)
  }
  return responses
}

/** A request head with CRLF line ends: the request line, then each header line as given, then the empty line. */
export function requestHead(requestLine: string, headerLines: readonly string[]): string {
  return `${requestLine}\r\n${headerLines.map((line) => `${line}\r\n`).join('')}\r\n`
}
