import type { Socket } from 'node:net'
import type { Refusal } from './connection-limits.js'
import { sniff } from './sniff.js'

/** How long a refused connection may take to send its first bytes, and to read its answer. */
const FIRST_BYTES_MS = 1_000
const ANSWER_MS = 2_000
/** What a refused connection may send after its answer before it is closed anyway. */
const DISCARD_BYTES = 64 * 1024
/** The `Retry-After` of the 503: as for a shutdown, a few seconds. */
const RETRY_AFTER_SECONDS = 5

const MESSAGES: Record<Refusal, string> = {
  'max-connections': 'the server has too many connections open; retry later',
  'max-connections-per-ip': 'too many connections from your address; retry later',
}

// RFC 9113 §7: NO_ERROR for a server that is full (a later attempt may succeed), ENHANCE_YOUR_CALM for
// a client over its own share.
const GOAWAY_CODES: Record<Refusal, number> = { 'max-connections': 0x0, 'max-connections-per-ip': 0xb }

/**
 * Answers connections over the limits and closes them, without handing them to a server.
 *
 * The answer depends on what the client speaks, known from its first bytes: HTTP/1.1 gets `503 Service
 * Unavailable` with `Retry-After` and `Connection: close` (tus-js-client and browsers retry a 503; a
 * bare close would look like a network failure, and nginx would mark the gateway down); h2c gets the
 * server preface and `GOAWAY` with last stream 0 (nothing was processed: the client may retry on a
 * new connection); TLS is closed at once (a handshake costs more than a refusal should). The answer
 * is followed by a short lingering close so that a client still sending its request reads it.
 *
 * Refusing takes a descriptor for up to three seconds; at most `maxRefusing` connections are being
 * refused at once, and those past them are closed without an answer, so that a flood of connections
 * cannot exhaust the descriptors the limit protects.
 */
export class ConnectionRefusal {
  readonly #maxRefusing: number
  #refusing = 0

  constructor(maxRefusing = 64) {
    this.#maxRefusing = maxRefusing
  }

  /** Answers `socket` (a fresh connection nobody has read from) as refused for `why`, then closes it. */
  refuse(socket: Socket, why: Refusal): void {
    if (this.#refusing >= this.#maxRefusing) {
      socket.destroy()
      return
    }
    this.#refusing += 1
    let timer = setTimeout(() => socket.destroy(), FIRST_BYTES_MS)
    socket.once('close', () => {
      this.#refusing -= 1
      clearTimeout(timer)
    })
    socket.on('error', () => socket.destroy())
    // A client that closes its side has read what it wanted (or never will): close once the answer,
    // if any, has left.
    socket.once('end', () => socket.destroySoon())
    let head: Buffer | undefined = Buffer.alloc(0)
    let discarded = 0
    socket.on('data', (chunk: Buffer) => {
      if (head === undefined) {
        // After the answer: read and dropped, so that closing does not reset the connection under a
        // client still sending its request (which would lose the answer).
        discarded += chunk.length
        if (discarded > DISCARD_BYTES) socket.destroy()
        return
      }
      head = Buffer.concat([head, chunk])
      const kind = sniff(head)
      if (kind === 'need-more') return
      head = undefined
      if (kind === 'tls') {
        socket.destroy()
        return
      }
      socket.end(kind === 'h2c' ? goaway(why) : serviceUnavailable(why))
      clearTimeout(timer)
      timer = setTimeout(() => socket.destroy(), ANSWER_MS)
    })
  }
}

function serviceUnavailable(why: Refusal): string {
  const text = `${MESSAGES[why]}\n`
  return (
    'HTTP/1.1 503 Service Unavailable\r\n' +
    `Retry-After: ${RETRY_AFTER_SECONDS}\r\n` +
    'Connection: close\r\n' +
    'Content-Type: text/plain; charset=utf-8\r\n' +
    `Content-Length: ${Buffer.byteLength(text)}\r\n\r\n${text}`
  )
}

/** An empty SETTINGS frame (the server preface, RFC 9113 §3.4) and GOAWAY with last stream 0. */
function goaway(why: Refusal): Buffer {
  const debug = Buffer.from(MESSAGES[why], 'latin1')
  const payload = Buffer.alloc(8 + debug.length)
  payload.writeUInt32BE(0, 0)
  payload.writeUInt32BE(GOAWAY_CODES[why], 4)
  debug.copy(payload, 8)
  return Buffer.concat([frameHead(0, 0x4), frameHead(payload.length, 0x7), payload])
}

function frameHead(length: number, type: number): Buffer {
  const head = Buffer.alloc(9)
  head.writeUIntBE(length, 0, 3)
  head[3] = type
  return head
}
