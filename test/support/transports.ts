import type { TestClient } from './client.js'
import type { TestGateway } from './gateway.js'
import { http1Client } from './http1-client.js'
import { http2Client } from './http2-client.js'

/** One way of reaching the gateway: an HTTP version over cleartext or TLS. */
export interface Transport {
  readonly name: 'HTTP/1.1' | 'h2c' | 'TLS h2'
  readonly httpVersion: '1.1' | '2'
  /** Opens a client to `gateway` (close it when done). */
  connect(gateway: TestGateway): TestClient
}

/** Every transport the gateway serves on its one port; integration tests run once per entry. */
export const transports: readonly Transport[] = [
  { name: 'HTTP/1.1', httpVersion: '1.1', connect: (gateway) => http1Client(gateway.port) },
  { name: 'h2c', httpVersion: '2', connect: (gateway) => http2Client(gateway.port) },
  { name: 'TLS h2', httpVersion: '2', connect: (gateway) => http2Client(gateway.port, gateway.ca) },
]
