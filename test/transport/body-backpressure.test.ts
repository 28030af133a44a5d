import { once } from 'node:events'
import http from 'node:http'
import https from 'node:https'
import { setTimeout as sleep } from 'node:timers/promises'
import { afterEach, describe, expect, it } from 'vitest'
import type { NodeExchange } from '../../src/transport/node-exchange.js'
import { startListener, type TestListener } from './listener-harness.js'

// An HTTP/1.1 body that no one reads yet (its PATCH waits for a lock, or for the store to open the upload)
// stays with the client: the listener stops reading the connection, the client's writes block, and the
// handler later reads the body in socket-read sized chunks. Before the listener handed sockets over this
// way, node:http read such a body whole into memory, and the handler's first read returned all of it.

const MiB = 1024 * 1024
const SIZE = 64 * MiB

let server: TestListener | undefined
afterEach(() => {
  server?.close()
  server = undefined
})

/**
 * Answers with the number of bytes read and the largest chunk, reading only once `mayRead` resolves: until
 * then the body is left alone.
 */
function lateReader(mayRead: Promise<void>): (exchange: NodeExchange) => Promise<void> {
  return async (exchange) => {
    await mayRead
    let bytes = 0
    let largest = 0
    for await (const chunk of exchange.body) {
      bytes += chunk.byteLength
      largest = Math.max(largest, chunk.byteLength)
    }
    await exchange.respond(200, { 'content-type': 'application/json' }, JSON.stringify({ bytes, largest }))
  }
}

/**
 * Sends SIZE bytes as one request and calls `blocked` once the connection takes no more for a while (or
 * once everything was written, which only happens when the server reads what no one consumes).
 */
async function sendUntilBlocked(request: http.ClientRequest, blocked: () => void): Promise<{ bytes: number; largest: number }> {
  const answer = new Promise<{ bytes: number; largest: number }>((resolve, reject) => {
    request.once('response', (response) => {
      let text = ''
      response.setEncoding('utf8').on('data', (part: string) => (text += part))
      response.once('end', () => resolve(JSON.parse(text) as { bytes: number; largest: number }))
    })
    request.once('error', reject)
  })
  const block = Buffer.alloc(MiB, 7)
  let released = false
  for (let sent = 0; sent < SIZE; sent += MiB) {
    if (request.write(block) || released) continue
    const drained = once(request, 'drain').then(() => true)
    if (!(await Promise.race([drained, sleep(500).then(() => false)]))) {
      released = true
      blocked()
      await drained
    }
  }
  request.end()
  blocked()
  return answer
}

describe('a request body not read yet', () => {
  it.each([
    { name: 'HTTP/1.1', tls: false },
    { name: 'HTTP/1.1 over TLS', tls: true },
  ])('stays with the client ($name): read later in small chunks, every byte', async ({ tls }) => {
    let release = (): void => {}
    const mayRead = new Promise<void>((resolve) => (release = resolve))
    server = await startListener(lateReader(mayRead))
    const options = { host: '127.0.0.1', port: server.port, method: 'PUT', path: '/', agent: false, headers: { 'content-length': String(SIZE) } }
    const request = tls ? https.request({ ...options, ca: server.ca, servername: 'localhost' }) : http.request(options)
    const read = await sendUntilBlocked(request, release)
    expect(read.bytes).toBe(SIZE)
    // node:http reads at most 64 KiB from a socket at a time; a body taken in whole would come as one chunk.
    expect(read.largest).toBeLessThanOrEqual(MiB)
  }, 60_000)
})
