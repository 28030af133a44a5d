import { randomBytes } from 'node:crypto'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { startGateway, type TestGateway } from '../support/gateway.js'
import { http2Client } from '../support/http2-client.js'
import { http1DraftClient } from '../ietf/draft-client.js'
import type { ResponseWithInterim, TestRequest } from '../support/client.js'
import { startApp, type TestApp } from './app.js'

// Upstream mode: what the client gets of the head of the application's answer, passed on or delivered, over
// HTTP/1.1 and h2c. The gateway is an intermediary (RFC 9110 §7.6.1, §15.2): the application's hop-by-hop fields
// stop at it, its informational answers go on.

const DRAFT = { 'upload-draft-interop-version': '8' }
const clients = [
  ['HTTP/1.1', (port: number) => http1DraftClient(port)],
  ['h2c', (port: number) => http2Client(port)],
] as const

describe("upstream mode and the head of the application's answer", () => {
  let app: TestApp
  let gateway: TestGateway
  let origin: string

  beforeAll(async () => {
    app = await startApp()
    gateway = await startGateway({ upstream: app.url, upstreamRetryDelayMs: 20 })
    origin = `http://127.0.0.1:${gateway.port}`
  })
  afterAll(async () => {
    await gateway.close()
    await app.close()
  })
  afterEach(() => {
    app.received.splice(0)
    app.script.splice(0)
  })

  /** Sends `request` over a fresh client of `makeClient`; resolves with the final answer and the interim ones. */
  async function send(makeClient: (typeof clients)[number][1], request: TestRequest): Promise<ResponseWithInterim> {
    const client = makeClient(gateway.port)
    try {
      return await client.request(request)
    } finally {
      await client.close()
    }
  }

  const passedOn = (): TestRequest => ({ method: 'POST', url: `${origin}/api/form`, headers: { 'content-type': 'text/plain' }, body: 'a form' })
  const draftCreation = (): TestRequest => ({
    method: 'POST',
    url: `${origin}/api/photos`,
    headers: { ...DRAFT, 'upload-complete': '?1', 'content-type': 'application/octet-stream' },
    body: randomBytes(1000),
  })
  /** A tus creation carrying its 5 bytes that asks for the application's answer (RFC 7240). */
  const tusCreationOptingIn = (): TestRequest => ({
    method: 'POST',
    url: `${origin}/api/photos`,
    headers: { 'tus-resumable': '1.0.0', 'upload-length': '5', 'content-type': 'application/offset+octet-stream', prefer: 'return=representation' },
    body: 'hello',
  })

  describe.each(clients)('%s', (_name, makeClient) => {
    it.each([
      ['a request passed on', passedOn],
      ['a draft creation that delivers', draftCreation],
    ])("drops the fields the application's Connection names from its answer to %s (RFC 9110 §7.6.1)", async (_what, request) => {
      app.script.push({ kind: 'ok', headers: { connection: 'x-secret, close', 'x-secret': 'leak', 'x-kept': 'yes' } })
      const response = await send(makeClient, request())
      expect(response.status).toBe(201)
      expect(response.headers['x-secret']).toBeUndefined()
      expect(response.headers['x-kept']).toBe('yes')
      expect(app.received).toHaveLength(1)
    })

    // The application's copies of the upload protocols' fields (tus and the draft), which a confused or hostile one may send.
    const PROTOCOL_FIELDS = {
      'upload-complete': '?0',
      'upload-offset': '7',
      'upload-length': '7',
      'upload-limit': 'max-size=1',
      'upload-draft-interop-version': '99',
      'upload-expires': 'Wed, 25 Jun 2014 16:00:00 GMT',
      'tus-resumable': '0.2.2',
      'tus-max-size': '1',
    }

    it("answers a draft request that delivers with the gateway's protocol fields, not the application's copies of them", async () => {
      app.script.push({ kind: 'ok', headers: { ...PROTOCOL_FIELDS, location: '/app/loc' } })
      const response = await send(makeClient, draftCreation())
      expect(response.status).toBe(201)
      expect(response.headers).toMatchObject({
        'upload-complete': '?1',
        'upload-offset': '1000',
        'upload-draft-interop-version': '8',
        'tus-resumable': '1.0.0',
        location: '/app/loc',
        'x-app': 'yes',
      })
      // Its own limits, as every answer about an upload says them.
      expect(response.headers['upload-limit']).toMatch(/^min-size=0/)
      expect(response.headers['upload-limit']).not.toMatch(/max-size=1\b/)
      for (const name of ['upload-length', 'upload-expires', 'tus-max-size']) expect(response.headers[name]).toBeUndefined()
    })

    it("answers a tus creation that delivers (Prefer: return=representation) with the upload's Location, the application's as Application-Location, and none of its protocol fields", async () => {
      app.script.push({ kind: 'ok', headers: { ...PROTOCOL_FIELDS, location: '/app/loc' } })
      const response = await send(makeClient, tusCreationOptingIn())
      expect(response.status).toBe(201)
      expect(response.headers.location).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:${gateway.port}/files/[0-9a-f]+$`))
      expect(response.headers).toMatchObject({
        'application-location': '/app/loc',
        'upload-offset': '5',
        'tus-resumable': '1.0.0',
        'preference-applied': 'return=representation',
        'x-app': 'yes',
      })
      for (const name of ['upload-complete', 'upload-draft-interop-version', 'upload-limit', 'upload-length', 'upload-expires', 'tus-max-size']) {
        expect(response.headers[name]).toBeUndefined()
      }
      expect(app.received).toMatchObject([{ bytes: 5 }])
    })

    it('passes on at most 16 informational answers of one request: an application that sends them without end cannot fill the memory with them', async () => {
      app.script.push({ kind: 'ok', processing: 500 })
      const response = await send(makeClient, passedOn())
      expect(response.status).toBe(201)
      expect(response.interim).toHaveLength(16)
    })

    it("keeps the application's Location in a redirect it answers a tus creation with (Prefer: return=representation): the client follows it", async () => {
      app.script.push({ kind: 'ok', status: 303, headers: { location: '/result/5' } })
      const response = await send(makeClient, tusCreationOptingIn())
      expect(response.status).toBe(303)
      expect(response.headers.location).toBe('/result/5')
      expect(response.headers['application-location']).toBeUndefined()
    })

    it("passes the application's 102 and 103 Early Hints on before its answer to a request passed on (RFC 9110 §15.2)", async () => {
      app.script.push({ kind: 'ok', processing: 1, earlyHints: { link: ['</style.css>; rel=preload; as=style', '</app.js>; rel=preload; as=script'] } })
      const response = await send(makeClient, passedOn())
      expect(response.status).toBe(201)
      expect(response.interim.map((interim) => interim.status)).toEqual([102, 103])
      expect(response.interim[1]?.headers.link).toBe('</style.css>; rel=preload; as=style, </app.js>; rel=preload; as=script')
    })
  })
})
