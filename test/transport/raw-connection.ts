import net from 'node:net'
import tls from 'node:tls'
import { parseFrames, type Frame } from './raw-h2.js'

/**
 * A TCP (or TLS) connection that writes exact bytes and records what comes back: the raw bytes,
 * and the HTTP/2 frames when the peer speaks HTTP/2. Waits are bounded by vitest's test timeout.
 */
export class RawConnection {
  readonly socket: net.Socket
  /** Every byte received so far. */
  received = Buffer.alloc(0)
  readonly frames: Frame[] = []
  readonly closed: Promise<void>
  #unparsed: Buffer = Buffer.alloc(0)
  #waiters: Array<() => void> = []

  private constructor(socket: net.Socket) {
    this.socket = socket
    socket.on('data', (chunk: Buffer) => {
      this.received = Buffer.concat([this.received, chunk])
      const { frames, rest } = parseFrames(Buffer.concat([this.#unparsed, chunk]))
      this.#unparsed = rest
      this.frames.push(...frames)
      this.#wake()
    })
    socket.on('error', () => {})
    this.closed = new Promise((resolve) => socket.once('close', () => resolve()))
    void this.closed.then(() => this.#wake())
  }

  /** Opens a cleartext connection, from `localAddress` if given (any 127.x.y.z is this machine on Linux). */
  static async open(port: number, localAddress?: string): Promise<RawConnection> {
    const socket = net.connect({ port, host: '127.0.0.1', localAddress })
    socket.setNoDelay(true)
    await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject))
    return new RawConnection(socket)
  }

  /** Opens a TLS connection offering the given ALPN protocols, trusting `ca`. */
  static async openTls(port: number, ca: string, alpn: string[]): Promise<RawConnection> {
    const socket = tls.connect({ port, host: '127.0.0.1', ca, ALPNProtocols: alpn, servername: 'localhost' })
    await new Promise<void>((resolve, reject) => socket.once('secureConnect', resolve).once('error', reject))
    return new RawConnection(socket)
  }

  /** Writes the bytes in one write (one packet on loopback). */
  write(bytes: Uint8Array | string): void {
    this.socket.write(bytes)
  }

  /** Resolves once a received frame matches, with that frame; rejects if the connection closes first. */
  async frame(matches: (frame: Frame) => boolean): Promise<Frame> {
    for (;;) {
      const found = this.frames.find(matches)
      if (found !== undefined) return found
      if (this.socket.destroyed) throw new Error(`connection closed; frames: ${describe(this.frames)}`)
      await new Promise<void>((resolve) => this.#waiters.push(resolve))
    }
  }

  /** Resolves once the received bytes (as latin1 text) satisfy `test`; rejects if the connection closes first. */
  async text(test: (text: string) => boolean): Promise<string> {
    for (;;) {
      const text = this.received.toString('latin1')
      if (test(text)) return text
      if (this.socket.destroyed) throw new Error(`connection closed; received: ${JSON.stringify(text)}`)
      await new Promise<void>((resolve) => this.#waiters.push(resolve))
    }
  }

  close(): void {
    this.socket.destroy()
  }

  #wake(): void {
    const waiters = this.#waiters
    this.#waiters = []
    for (const wake of waiters) wake()
  }
}

function describe(frames: readonly Frame[]): string {
  return frames.map((f) => `${f.type}/${f.streamId}`).join(' ')
}
