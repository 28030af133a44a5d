import http from 'node:http'
import http2 from 'node:http2'
import { describe, expect, it } from 'vitest'
import { applyHttp1Timeouts } from './http1-timeouts.js'

// The behaviour (a stalled head is cut, a long body is not) is tested through real connections in
// test/transport/limits.test.ts; this checks the settings themselves, including node's defaults
// that make them necessary.

const TIMEOUTS = { headersTimeoutMs: 2_000, keepAliveTimeoutMs: 3_000 }

describe('applyHttp1Timeouts', () => {
  it("turns off node's 300 s request timeout of an Http2SecureServer with allowHTTP1", () => {
    const server = http2.createSecureServer({ allowHTTP1: true })
    expect((server as unknown as http.Server).requestTimeout).toBe(300_000)
    applyHttp1Timeouts(server, TIMEOUTS)
    expect(server as unknown as http.Server).toMatchObject({ requestTimeout: 0, headersTimeout: 2_000, keepAliveTimeout: 3_000 })
    server.close()
  })

  it("turns off node:http's request timeout and sets the head and keep-alive timeouts", () => {
    const server = http.createServer()
    expect(server.requestTimeout).toBe(300_000)
    applyHttp1Timeouts(server, TIMEOUTS)
    expect(server).toMatchObject({ requestTimeout: 0, headersTimeout: 2_000, keepAliveTimeout: 3_000 })
    server.close()
  })

  it('checks the head timeout a few times per timeout, within bounds', () => {
    const servers = [100, 2_000, 600_000].map((headersTimeoutMs) => {
      const server = http.createServer()
      applyHttp1Timeouts(server, { headersTimeoutMs, keepAliveTimeoutMs: 1_000 })
      return server
    })
    expect(servers.map((s) => (s as unknown as { connectionsCheckingInterval: number }).connectionsCheckingInterval)).toEqual([100, 500, 5_000])
    for (const server of servers) server.close()
  })
})
