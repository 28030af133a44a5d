import { mkdtemp, readdir, rm } from 'node:fs/promises'
import net from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { spawnGateway, type GatewayProcess } from './gateway-process.js'

// A process out of file descriptors (EMFILE) cannot open an upload's files: that is a shortage a client can
// wait out, answered 503 with Retry-After and said so, the cause in the log, never a bare 500.

const OPEN_FILE_LIMIT = 160

/** A keep-alive HTTP/1.1 connection that sends requests one at a time and reads each answer's head and body. */
class KeptConnection {
  readonly #socket: net.Socket
  #text = ''
  #waiter: (() => void) | undefined

  private constructor(socket: net.Socket) {
    this.#socket = socket
    socket.setEncoding('latin1')
    socket.on('data', (part: string) => {
      this.#text += part
      this.#waiter?.()
    })
  }

  static async open(port: number): Promise<KeptConnection> {
    const socket = net.connect({ port, host: '127.0.0.1' })
    await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject))
    return new KeptConnection(socket)
  }

  /** Sends a request; resolves with its answer (the head, and a body of `Content-Length`). */
  async send(head: string, body = ''): Promise<string> {
    this.#text = ''
    this.#socket.write(`${head}Host: localhost\r\nTus-Resumable: 1.0.0\r\nContent-Length: ${body.length}\r\n\r\n${body}`)
    for (;;) {
      const end = this.#text.indexOf('\r\n\r\n')
      const length = Number(/\r\ncontent-length: (\d+)/i.exec(this.#text)?.[1] ?? 0)
      if (end !== -1 && this.#text.length >= end + 4 + length) return this.#text
      await new Promise<void>((resolve) => (this.#waiter = resolve))
    }
  }

  close(): void {
    this.#socket.destroy()
  }
}

describe('a gateway out of file descriptors', () => {
  let workDir: string
  let gateway: GatewayProcess | undefined
  const sockets: net.Socket[] = []

  beforeEach(async () => {
    workDir = await mkdtemp(join(tmpdir(), 'rg-descriptors-'))
  })
  afterEach(async () => {
    for (const socket of sockets.splice(0)) socket.destroy()
    await gateway?.stop()
    gateway = undefined
    await rm(workDir, { recursive: true, force: true })
  })

  /** Opens idle connections until `request` is answered other than `served`; returns that answer. */
  async function exhaustDescriptorsUntil(port: number, served: string, request: () => Promise<string>): Promise<string> {
    // Node accepts, and at once closes, connections beyond the limit, so the last free descriptor comes and goes:
    // every request before the shortage is served whole.
    let answer = ''
    for (let opened = 0; opened < 2 * OPEN_FILE_LIMIT; opened += 1) {
      const socket = net.connect({ port, host: '127.0.0.1' })
      socket.on('error', () => {})
      sockets.push(socket)
      await new Promise((resolve) => socket.once('connect', resolve))
      answer = await request()
      if (!answer.startsWith(served)) break
    }
    return answer
  }

  function expectShortageAnswer(answer: string, reason: string): void {
    expect(answer.split('\r\n')[0]).toBe('HTTP/1.1 503 Service Unavailable')
    expect(answer).toMatch(/\r\nretry-after: \d+\r\n/i)
    expect(answer).toContain(reason)
  }

  it('answers a read that cannot open its upload 503 with Retry-After, saying why, and logs the cause', async () => {
    // No connection limit: the idle connections below take every descriptor the process has.
    gateway = await spawnGateway(['--upload-dir', workDir, '--max-connections', '0'], { openFileLimit: OPEN_FILE_LIMIT })
    const { pid, port } = gateway
    const client = await KeptConnection.open(port)
    try {
      const created = await client.send('POST /files/ HTTP/1.1\r\nUpload-Length: 5\r\nContent-Type: application/offset+octet-stream\r\n', 'hello')
      expect(created.split('\r\n')[0]).toBe('HTTP/1.1 201 Created')
      const path = new URL(/\r\nlocation: (\S+)\r\n/i.exec(created)?.[1] ?? 'http://x/').pathname
      // Reading a finished upload opens its data file.
      const answer = await exhaustDescriptorsUntil(port, 'HTTP/1.1 200 OK', () => client.send(`GET ${path} HTTP/1.1\r\n`))
      expect((await readdir(`/proc/${pid}/fd`)).length).toBeGreaterThanOrEqual(OPEN_FILE_LIMIT - 1)
      expectShortageAnswer(answer, 'out of file descriptors')
      await gateway.waitForStderr(/EMFILE/)
    } finally {
      client.close()
    }
  })

  it('answers 503 with Retry-After when the file locker cannot write a lock file, and the upload goes on after', async () => {
    gateway = await spawnGateway(['--upload-dir', workDir, '--max-connections', '0', '--locker', 'file'], { openFileLimit: OPEN_FILE_LIMIT })
    const { port } = gateway
    const client = await KeptConnection.open(port)
    try {
      const created = await client.send('POST /files/ HTTP/1.1\r\nUpload-Length: 1000\r\n')
      expect(created.split('\r\n')[0]).toBe('HTTP/1.1 201 Created')
      const path = new URL(/\r\nlocation: (\S+)\r\n/i.exec(created)?.[1] ?? 'http://x/').pathname
      let offset = 0
      const append = async (): Promise<string> => {
        const answer = await client.send(`PATCH ${path} HTTP/1.1\r\nUpload-Offset: ${offset}\r\nContent-Type: application/offset+octet-stream\r\n`, 'x')
        if (answer.startsWith('HTTP/1.1 204')) offset += 1
        return answer
      }
      // Each append takes the upload's lock (a lock file) before it opens the data file.
      const answer = await exhaustDescriptorsUntil(port, 'HTTP/1.1 204', append)
      expectShortageAnswer(answer, 'uploads cannot be locked right now')
      await gateway.waitForStderr(/EMFILE/)
      // The shortage passes with the connections (closed at once); the upload is where it was and takes the next
      // byte at the offset the last 204 told.
      for (const socket of sockets.splice(0)) socket.destroy()
      let next = ''
      for (let attempt = 0; attempt < 50 && !next.startsWith('HTTP/1.1 204'); attempt++) {
        await new Promise((resolve) => setTimeout(resolve, 20))
        next = await append()
      }
      expect(next).toMatch(new RegExp(`\\r\\nupload-offset: ${offset}\\r\\n`, 'i'))
    } finally {
      client.close()
    }
  })
})
