import { LISTENER_LIMITS } from '../../src/gateway.js'
import { Listener, type ListenerOptions } from '../../src/transport/listener.js'
import type { NodeExchange } from '../../src/transport/node-exchange.js'
import { selfSignedCertificate } from '../support/tls-certificate.js'

/** A bare listener on 127.0.0.1 with a handler of the test's own, to try the transport's limits directly. */
export interface TestListener {
  readonly listener: Listener
  readonly port: number
  /** The certificate served on TLS connections (trust it as the CA). */
  readonly ca: string
  close(): void
}

/** What every test listener starts from: the gateway's limits, and its head timeout by default (60 s). */
const BASE = { host: '127.0.0.1', port: 0, headersTimeoutMs: 60_000, ...LISTENER_LIMITS } satisfies ListenerOptions

/** Reads the whole body, then answers 200 with the number of bytes read. */
export async function countingHandler(exchange: NodeExchange): Promise<void> {
  let bytes = 0
  for await (const chunk of exchange.body) bytes += chunk.byteLength
  await exchange.respond(200, { 'content-type': 'text/plain' }, String(bytes))
}

/** Starts a listener with TLS on the same port; `options` override the base limits. */
export async function startListener(
  handler: (exchange: NodeExchange) => Promise<void>,
  options: Partial<ListenerOptions> = {},
): Promise<TestListener> {
  const { cert, key } = await selfSignedCertificate()
  const listener = new Listener(handler, { ...BASE, tls: { cert, key, minVersion: 'TLSv1.2' }, ...options })
  const address = await listener.listen()
  return {
    listener,
    port: address.port,
    ca: cert,
    close() {
      listener.stopAccepting()
      listener.destroyAll()
    },
  }
}
