import http2 from 'node:http2'
import { Readable } from 'node:stream'
import { afterEach, describe, expect, it } from 'vitest'
import type { NodeExchange } from '../../src/transport/node-exchange.js'
import { answer, type H2Answer } from './h2.js'
import { startListener, type TestListener } from './listener-harness.js'

// The default connection limit counts two descriptors per connection: its socket and a file. An HTTP/2
// connection carries up to 100 streams, and each GET or upload may hold a file of its own: every such stream
// beyond a connection's first takes a place of the connection limits too, so one client cannot hold more
// descriptors than its share of connections would.

let listener: TestListener | undefined
afterEach(() => {
  listener?.close()
  listener = undefined
})

/** Answers every request with a body that never ends, as a download the client does not read holds its file. */
async function endlessAnswer(exchange: NodeExchange): Promise<void> {
  await exchange.respond(200, { 'content-type': 'application/octet-stream' }, new Readable({ read() {} }))
}

async function openStreams(port: number, count: number, headers: http2.OutgoingHttpHeaders, end: boolean): Promise<H2Answer[]> {
  const session = http2.connect(`http://127.0.0.1:${port}`)
  session.on('error', () => {})
  const answers = Array.from({ length: count }, () => answer(session.request(headers, { endStream: end })))
  const refusedOrOpen = await Promise.race([Promise.all(answers), new Promise<null>((resolve) => setTimeout(() => resolve(null), 500))])
  session.destroy()
  return refusedOrOpen ?? (await Promise.all(answers))
}

describe('HTTP/2 streams that may hold a file', () => {
  it('take a place of --max-connections each beyond the first of their connection; past the limit they are refused', async () => {
    listener = await startListener(endlessAnswer, { maxConnections: 4, maxConnectionsPerIp: 0 })
    const answers = await openStreams(listener.port, 10, { ':method': 'GET', ':path': '/files/x' }, true)
    const refused = answers.filter((one) => one.status === 0 && one.rstCode === http2.constants.NGHTTP2_REFUSED_STREAM)
    // One rides on the connection's own place, three take the other places of the limit of 4.
    expect(answers.length - refused.length).toBe(4)
    expect(refused).toHaveLength(6)
  })

  it('give their places back when they close', async () => {
    listener = await startListener(endlessAnswer, { maxConnections: 3, maxConnectionsPerIp: 0 })
    const first = await openStreams(listener.port, 5, { ':method': 'GET', ':path': '/files/x' }, true)
    expect(first.filter((one) => one.rstCode === http2.constants.NGHTTP2_REFUSED_STREAM)).toHaveLength(2)
    await new Promise((resolve) => setTimeout(resolve, 100))
    const again = await openStreams(listener.port, 5, { ':method': 'GET', ':path': '/files/x' }, true)
    expect(again.filter((one) => one.rstCode === http2.constants.NGHTTP2_REFUSED_STREAM)).toHaveLength(2)
  })

  it('never include requests without a body other than GET (HEAD, OPTIONS)', async () => {
    listener = await startListener(endlessAnswer, { maxConnections: 2, maxConnectionsPerIp: 0 })
    const answers = await openStreams(listener.port, 10, { ':method': 'HEAD', ':path': '/files/x' }, true)
    expect(answers.filter((one) => one.rstCode === http2.constants.NGHTTP2_REFUSED_STREAM)).toHaveLength(0)
  })
})
