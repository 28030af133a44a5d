import { createHash, randomBytes } from 'node:crypto'
import { once } from 'node:events'
import { connect } from 'node:net'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { startGateway, type TestGateway } from '../support/gateway.js'
import { http1DraftClient, type DraftClient } from '../ietf/draft-client.js'
import { http2Client } from '../support/http2-client.js'
import { startApp, type TestApp } from './app.js'

// Upstream mode when the application fails: down, answering 500, too slow, resetting the connection.
// The client gets a clear 502/504 (not "complete"), the upload is kept, and completing it again delivers it.

const sha256 = (data: Uint8Array): string => createHash('sha256').update(data).digest('hex')
const DRAFT = { 'upload-draft-interop-version': '8' }

describe('upstream mode when the application fails', () => {
  let app: TestApp
  let gateway: TestGateway
  let client: DraftClient
  let origin: string
  const data = randomBytes(256 * 1024 + 3)

  beforeEach(async () => {
    app = await startApp()
    gateway = await startGateway({ upstream: app.url, upstreamRetries: 2, upstreamRetryDelayMs: 20, upstreamTimeoutMs: 600 })
    client = http1DraftClient(gateway.port)
    origin = `http://127.0.0.1:${gateway.port}`
  })
  afterEach(async () => {
    await client.close()
    await gateway.close()
    await app.close()
  })

  /** A draft creation carrying everything; resolves with the final response and the upload's URL from the 104. */
  async function createWhole(): Promise<{ status: number; headers: Record<string, string>; text: string; location: string }> {
    let location = ''
    const response = await client.request({
      method: 'POST',
      url: `${origin}/api/photos`,
      headers: { ...DRAFT, 'upload-complete': '?1', 'content-type': 'application/octet-stream' },
      body: data,
      onInterim: (interim) => {
        location = interim.headers.location ?? location
      },
    })
    return { status: response.status, headers: response.headers, text: response.text, location }
  }

  /** Completes the upload again: an empty append at its end. */
  const completeAgain = (location: string) =>
    client.request({
      method: 'PATCH',
      url: location,
      headers: { ...DRAFT, 'upload-complete': '?1', 'upload-offset': String(data.length), 'content-type': 'application/partial-upload' },
      body: '',
    })

  const offsetOf = (location: string) => client.request({ method: 'HEAD', url: location, headers: DRAFT })

  it('answers 502 with Upload-Complete: ?0 when the application is down, keeps the upload, and delivers it once it is back', async () => {
    const { port } = app
    await app.close()
    const failed = await createWhole()
    expect(failed.status).toBe(502)
    expect(failed.headers['upload-complete']).toBe('?0')
    expect(failed.headers['content-type']).toBe('application/problem+json')
    expect(JSON.parse(failed.text).detail).toMatch(/could not be reached \(3 attempts\)/)
    const kept = await offsetOf(failed.location)
    expect(kept.headers).toMatchObject({ 'upload-complete': '?0', 'upload-offset': String(data.length) })
    app = await startApp(port)
    const delivered = await completeAgain(failed.location)
    expect(delivered.status).toBe(201)
    expect(delivered.headers['upload-complete']).toBe('?1')
    expect(JSON.parse(delivered.text)).toMatchObject({ sha256: sha256(data) })
    expect(app.received).toHaveLength(1)
    expect((await offsetOf(failed.location)).headers['upload-complete']).toBe('?1')
  })

  it('tries a 500 again, up to the retries, then answers 502 naming the status; a later completion delivers it', async () => {
    app.script.push({ kind: 'status', status: 500 }, { kind: 'status', status: 503 }, { kind: 'status', status: 500 })
    const failed = await createWhole()
    expect(failed.status).toBe(502)
    expect(JSON.parse(failed.text).detail).toMatch(/answered 500 \(3 attempts\)/)
    // Every attempt carried the whole upload, under the same idempotency key.
    expect(app.received.map((received) => received.sha256)).toEqual([sha256(data), sha256(data), sha256(data)])
    expect(new Set(app.received.map((received) => received.headers['idempotency-key'])).size).toBe(1)
    const delivered = await completeAgain(failed.location)
    expect(delivered.status).toBe(201)
    expect(app.received).toHaveLength(4)
  })

  it('hides a transient 500 or a reset connection behind a retry', async () => {
    app.script.push({ kind: 'status', status: 500 }, { kind: 'reset' })
    const result = await createWhole()
    expect(result.status).toBe(201)
    expect(JSON.parse(result.text)).toMatchObject({ sha256: sha256(data) })
    expect(app.received).toHaveLength(2)
  })

  it('passes a 4xx of the application on as the final answer: the representation was processed', async () => {
    app.script.push({ kind: 'status', status: 422 })
    const result = await createWhole()
    expect(result.status).toBe(422)
    expect(result.headers['upload-complete']).toBe('?1')
    expect(result.text).toBe('the application failed (422)\n')
    expect((await offsetOf(result.location)).headers['upload-complete']).toBe('?1')
  })

  it('answers 504 when the application stays silent past --upstream-timeout, without retrying; the upload is kept', async () => {
    app.script.push({ kind: 'slow', ms: 1500 })
    const failed = await createWhole()
    expect(failed.status).toBe(504)
    expect(failed.headers['upload-complete']).toBe('?0')
    expect((await offsetOf(failed.location)).headers['upload-complete']).toBe('?0')
    const delivered = await completeAgain(failed.location)
    expect(delivered.status).toBe(201)
  })

  it('tus: a HEAD after a failed delivery delivers the upload (tus clients never complete an upload again)', async () => {
    const { port } = app
    await app.close()
    const tus = { 'tus-resumable': '1.0.0' }
    const created = await client.request({ method: 'POST', url: `${origin}/api/photos`, headers: { ...tus, 'upload-length': String(data.length) } })
    const location = created.headers.location ?? ''
    const patch = await client.request({
      method: 'PATCH',
      url: location,
      headers: { ...tus, 'upload-offset': '0', 'content-type': 'application/offset+octet-stream' },
      body: data,
    })
    expect(patch.status).toBe(502)
    app = await startApp(port)
    const head = await client.request({ method: 'HEAD', url: location, headers: tus })
    expect(head.status).toBe(200)
    expect(head.headers['upload-offset']).toBe(String(data.length))
    expect(app.received).toMatchObject([{ sha256: sha256(data) }])
  })
})

describe('upstream mode when a client stalls a request body passed on', () => {
  let app: TestApp
  let gateway: TestGateway

  beforeEach(async () => {
    app = await startApp()
    gateway = await startGateway({ upstream: app.url, networkTimeoutMs: 400 })
  })
  afterEach(async () => {
    await gateway.close()
    await app.close()
  })

  /** Sends a request head and the start of its body over a raw socket, then nothing; resolves with the answer once its body is in. */
  async function stall(head: string, start: string): Promise<{ answer: string; afterMs: number }> {
    const socket = connect(gateway.port, '127.0.0.1')
    await once(socket, 'connect')
    const started = performance.now()
    socket.write(`${head}\r\n\r\n${start}`)
    let answer = ''
    await new Promise<void>((resolve) => {
      socket.on('close', resolve)
      socket.setEncoding('latin1').on('data', (chunk: string) => {
        answer += chunk
        if (answer.endsWith('\n') && answer.includes('\r\n\r\n')) resolve()
      })
    })
    socket.destroy()
    return { answer, afterMs: performance.now() - started }
  }

  it.each([
    ['Content-Length', 'Content-Length: 100', 'hello'],
    ['chunked', 'Transfer-Encoding: chunked', '5\r\nhello\r\n'],
  ])(
    'stops a body (%s) that sends nothing for --network-timeout: 500 to the client, the request to the application aborted',
    async (_framing, field, start) => {
      const { answer, afterMs } = await stall(`POST /api/form HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\n${field}`, start)
      expect(answer).toMatch(/^HTTP\/1\.1 500 /)
      expect(answer).toMatch(/sent nothing for 400 ms/)
      expect(afterMs).toBeLessThan(3000)
      // The application got the request and its first bytes, never an end: a truncated body is not a whole one.
      await expect.poll(() => app.cut).toEqual(['/api/form'])
      expect(app.received).toEqual([])
    },
  )
})

describe('upstream mode when the gateway shuts down with requests passed on or deliveries under way', () => {
  let app: TestApp
  let gateway: TestGateway
  const clients = [
    ['HTTP/1.1', (port: number) => http1DraftClient(port)],
    ['h2c', (port: number) => http2Client(port)],
  ] as const

  afterEach(async () => {
    await gateway.close()
    await app.close()
  })

  /** Passes a POST on to an application that answers after `appMs`, and shuts the gateway down once the application has it. */
  async function passOnThenShutDown(client: DraftClient | ReturnType<typeof http2Client>, appMs: number) {
    app.script.push({ kind: 'slow', ms: appMs })
    const origin = `http://127.0.0.1:${gateway.port}`
    const answer = client.request({ method: 'POST', url: `${origin}/api/form`, headers: { 'content-type': 'text/plain' }, body: 'passed on' })
    await expect.poll(() => app.seen.length).toBe(1)
    const closed = gateway.gateway.close()
    const response = await answer
    await closed
    return response
  }

  it.each(clients)('%s: lets a request passed on finish within --shutdown-timeout, as a delivery may', async (_name, makeClient) => {
    app = await startApp()
    gateway = await startGateway({ upstream: app.url, shutdownTimeoutMs: 5000 })
    const client = makeClient(gateway.port)
    try {
      const response = await passOnThenShutDown(client, 500)
      expect(response.status).toBe(201)
      expect(JSON.parse(response.text)).toMatchObject({ bytes: 9, sha256: sha256(Buffer.from('passed on')) })
    } finally {
      await client.close()
    }
  })

  it.each(clients)('%s: answers 503 with Retry-After to a request passed on still unanswered past --shutdown-timeout', async (_name, makeClient) => {
    app = await startApp()
    gateway = await startGateway({ upstream: app.url, shutdownTimeoutMs: 300 })
    const client = makeClient(gateway.port)
    try {
      const response = await passOnThenShutDown(client, 3000)
      expect(response.status).toBe(503)
      expect(response.headers['retry-after']).toBe('5')
      expect(response.text).toMatch(/shutting down/)
    } finally {
      await client.close()
    }
  })

  /** A draft creation carrying `body` whole, and the gateway shut down once the application has it; closes `client`. */
  async function createWholeThenShutDown(client: DraftClient | ReturnType<typeof http2Client>, body: Buffer) {
    try {
      const answer = client.request({
        method: 'POST',
        url: `http://127.0.0.1:${gateway.port}/api/photos`,
        headers: { ...DRAFT, 'upload-complete': '?1', 'content-type': 'application/octet-stream' },
        body,
      })
      await expect.poll(() => app.seen.length).toBe(1)
      const closed = gateway.gateway.close()
      const response = await answer
      await closed
      return response
    } finally {
      await client.close()
    }
  }

  it('answers 503 with Retry-After and the offset to a draft creation whose delivery waits to be tried again when the shutdown comes', async () => {
    app = await startApp()
    // The first attempt fails (500); the next one would come 10 s later, long after the shutdown timeout.
    gateway = await startGateway({ upstream: app.url, shutdownTimeoutMs: 300, upstreamRetries: 1, upstreamRetryDelayMs: 10_000 })
    const body = randomBytes(1024)
    app.script.push({ kind: 'status', status: 500 })
    const response = await createWholeThenShutDown(http1DraftClient(gateway.port), body)
    expect(response.status, response.text).toBe(503)
    expect(response.headers).toMatchObject({ 'retry-after': '5', 'upload-complete': '?0', 'upload-offset': String(body.length) })
  })

  it.each(clients)(
    '%s: answers 503 with Retry-After, Upload-Complete: ?0 and the offset to a draft creation whose delivery is under way past --shutdown-timeout; the upload waits',
    async (_name, makeClient) => {
      app = await startApp()
      gateway = await startGateway({ upstream: app.url, shutdownTimeoutMs: 300 })
      const body = randomBytes(64 * 1024)
      app.script.push({ kind: 'slow', ms: 3000 })
      const response = await createWholeThenShutDown(makeClient(gateway.port), body)
      expect(response.status).toBe(503)
      expect(response.headers).toMatchObject({ 'retry-after': '5', 'upload-complete': '?0', 'upload-offset': String(body.length) })
      // The upload waits for the next request to deliver it, on the next gateway.
      const location = response.interim.find((interim) => interim.status === 104)?.headers.location ?? ''
      const next = await startGateway({ upstream: app.url, uploadDir: gateway.uploadDir })
      const nextClient = http1DraftClient(next.port)
      try {
        const url = location.replace(/^http:\/\/[^/]+/, `http://127.0.0.1:${next.port}`)
        const head = await nextClient.request({ method: 'HEAD', url, headers: DRAFT })
        expect(head.headers).toMatchObject({ 'upload-complete': '?0', 'upload-offset': String(body.length) })
      } finally {
        await nextClient.close()
        await next.close()
      }
    },
  )
})

