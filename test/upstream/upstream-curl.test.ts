import { execFile } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { pino } from 'pino'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { createGateway, type GatewayOptions } from '../../src/gateway.js'
import { startGateway, type TestGateway } from '../support/gateway.js'
import { startApp, type TestApp } from './app.js'

// Upstream mode with curl: a draft upload to an application path reaches the application as one request,
// byte for byte, and the client gets the application's answer; everything else is passed on unchanged.

const run = promisify(execFile)
const CURL = '/usr/bin/curl'
const sha256 = (data: Buffer): string => createHash('sha256').update(data).digest('hex')

/** The heads curl printed with `-i` (interim ones included), each with status and lower-cased headers, and the body after the last. */
function parse(output: string): { heads: { status: number; headers: Record<string, string> }[]; body: string } {
  const blocks = output.split(/\r\n\r\n/)
  const heads: { status: number; headers: Record<string, string> }[] = []
  let i = 0
  for (; i < blocks.length && /^HTTP\/[\d.]+ \d{3}/.test(blocks[i] ?? ''); i++) {
    const [statusLine = '', ...lines] = (blocks[i] ?? '').split('\r\n')
    const headers: Record<string, string> = {}
    for (const line of lines) {
      const colon = line.indexOf(':')
      const name = line.slice(0, colon).trim().toLowerCase()
      headers[name] = headers[name] === undefined ? line.slice(colon + 1).trim() : `${headers[name]}, ${line.slice(colon + 1).trim()}`
    }
    heads.push({ status: Number(statusLine.split(' ')[1]), headers })
  }
  return { heads, body: blocks.slice(i).join('\r\n\r\n') }
}

async function curl(args: string[]): Promise<ReturnType<typeof parse>> {
  const { stdout } = await run(CURL, ['-sS', '-i', ...args], { maxBuffer: 64 * 1024 * 1024 })
  return parse(stdout)
}

describe('upstream mode with curl', () => {
  let app: TestApp
  let gateway: TestGateway
  let dir: string
  let origin: string
  const data = randomBytes(2 * 1024 * 1024 + 7)

  beforeAll(async () => {
    app = await startApp()
    gateway = await startGateway({ upstream: app.url, upstreamRetryDelayMs: 20, upstreamTimeoutMs: 2000 })
    origin = `http://127.0.0.1:${gateway.port}`
    dir = await mkdtemp(join(tmpdir(), 'rg-upstream-curl-'))
    await writeFile(join(dir, 'first'), data.subarray(0, 1024 * 1024))
    await writeFile(join(dir, 'rest'), data.subarray(1024 * 1024))
    await writeFile(join(dir, 'all'), data)
  })
  afterAll(async () => {
    await gateway.close()
    await app.close()
    await rm(dir, { recursive: true, force: true })
  })
  afterEach(() => {
    app.received.splice(0)
    app.script.splice(0)
  })

  it('delivers a creation that carries everything as one request, byte-identical, and answers with the application', async () => {
    const { heads, body } = await curl([
      '-X', 'POST', `${origin}/api/photos?album=7&x=%2F`,
      '-H', 'Upload-Draft-Interop-Version: 8', '-H', 'Upload-Complete: ?1',
      '-H', 'Content-Type: image/jpeg', '-H', 'Authorization: Bearer t0ken', '-H', 'Cookie: session=abc',
      '-H', 'X-Custom: kept', '-H', `Content-Digest: sha-256=:${createHash('sha256').update(data).digest('base64')}:`,
      '--data-binary', `@${join(dir, 'all')}`,
    ])
    const interim = heads.filter((head) => head.status === 104)
    const final = heads.at(-1)
    expect(interim[0]?.headers.location).toMatch(new RegExp(`^${origin}/files/[0-9a-f]{32}$`))
    expect(final?.status).toBe(201)
    expect(final?.headers).toMatchObject({ location: '/api/photos/1', 'content-type': 'application/json', 'x-app': 'yes', 'upload-complete': '?1' })
    expect(JSON.parse(body)).toEqual({ id: 1, bytes: data.length, sha256: sha256(data), contentType: 'image/jpeg' })
    expect(app.received).toHaveLength(1)
    const [delivered] = app.received
    expect(delivered).toMatchObject({ method: 'POST', url: '/api/photos?album=7&x=%2F', bytes: data.length, sha256: sha256(data) })
    const uploadId = interim[0]?.headers.location?.split('/').at(-1)
    expect(delivered?.headers).toMatchObject({
      'content-type': 'image/jpeg',
      authorization: 'Bearer t0ken',
      cookie: 'session=abc',
      'x-custom': 'kept',
      'content-length': String(data.length),
      'idempotency-key': `"${uploadId}"`,
      'x-forwarded-for': '127.0.0.1',
      'x-forwarded-host': `127.0.0.1:${gateway.port}`,
      'x-forwarded-proto': 'http',
      forwarded: `for=127.0.0.1;host="127.0.0.1:${gateway.port}";proto=http`,
      host: `127.0.0.1:${app.port}`,
    })
    // The draft's own fields describe the upload, not the representation.
    for (const field of ['upload-complete', 'upload-draft-interop-version', 'content-digest', 'expect']) expect(delivered?.headers[field]).toBeUndefined()
  })

  it('leaves tus fields a draft creation carries out of the delivery (tus-js-client sends Upload-Metadata in its draft modes)', async () => {
    const { heads } = await curl([
      '-X', 'POST', `${origin}/api/photos`, '-H', 'Upload-Draft-Interop-Version: 6', '-H', 'Upload-Complete: ?1',
      '-H', `Upload-Metadata: filename ${Buffer.from('secret.txt').toString('base64')}`, '-H', 'Tus-Resumable: 1.0.0',
      '-H', 'Upload-Checksum: sha1 Kq5sNclPz7QV2+lfQIuc6R7oRu0=', '-H', 'X-Custom: kept', '--data-binary', 'hello world',
    ])
    expect(heads.at(-1)?.status).toBe(201)
    const [delivered] = app.received
    expect(delivered?.headers['x-custom']).toBe('kept')
    for (const field of ['upload-metadata', 'tus-resumable', 'upload-checksum']) expect(delivered?.headers[field]).toBeUndefined()
  })

  it('delivers an interrupted upload once it is resumed and completed; the PATCH gets the application answer', async () => {
    const created = await curl([
      '-X', 'PUT', `${origin}/api/photos/cat.bin`, '-H', 'Upload-Draft-Interop-Version: 6', '-H', 'Upload-Complete: ?0',
      '-H', `Upload-Length: ${data.length}`, '-H', 'Content-Type: application/octet-stream', '--data-binary', `@${join(dir, 'first')}`,
    ])
    const location = created.heads.at(-1)?.headers.location ?? ''
    expect(created.heads.at(-1)?.status).toBe(201)
    expect(location).toMatch(/\/files\/[0-9a-f]{32}$/)
    expect(app.received).toHaveLength(0)
    const offset = await curl(['-I', location, '-H', 'Upload-Draft-Interop-Version: 6'])
    expect(offset.heads.at(-1)?.headers).toMatchObject({ 'upload-offset': String(1024 * 1024), 'upload-complete': '?0' })
    const done = await curl([
      '-X', 'PATCH', location, '-H', 'Upload-Draft-Interop-Version: 6', '-H', 'Upload-Complete: ?1', '-H', `Upload-Offset: ${1024 * 1024}`,
      '-H', 'Content-Type: application/partial-upload', '--data-binary', `@${join(dir, 'rest')}`,
    ])
    expect(done.heads.at(-1)).toMatchObject({ status: 201, headers: { location: '/api/photos/1', 'upload-complete': '?1' } })
    expect(JSON.parse(done.body)).toMatchObject({ bytes: data.length, sha256: sha256(data), contentType: 'application/octet-stream' })
    expect(app.received).toMatchObject([{ method: 'PUT', url: '/api/photos/cat.bin', sha256: sha256(data) }])
    // Delivered: the upload resource now says so.
    const after = await curl(['-I', location, '-H', 'Upload-Draft-Interop-Version: 6'])
    expect(after.heads.at(-1)?.headers['upload-complete']).toBe('?1')
  })

  it('passes requests that are not resumable uploads on unchanged, both ways, and adds Upload-Limit to OPTIONS', async () => {
    const hello = await curl([`${origin}/api/hello?name=x`, '-H', 'X-Forwarded-For: 203.0.113.9'])
    expect(hello.heads.at(-1)?.status).toBe(200)
    expect(hello.heads.at(-1)?.headers['set-cookie']).toBe('a=1, b=2')
    // Without --behind-proxy the client's own X-Forwarded-For is not trusted.
    expect(hello.body).toBe('hello from the application: /api/hello?name=x 127.0.0.1\n')
    const plain = await curl(['-X', 'POST', `${origin}/api/photos`, '-H', 'Content-Type: text/plain', '--data-binary', 'not resumable'])
    expect(plain.heads.at(-1)?.status).toBe(201)
    expect(plain.heads.at(-1)?.headers['upload-complete']).toBeUndefined()
    expect(app.received).toMatchObject([{ bytes: 13, sha256: sha256(Buffer.from('not resumable')) }])
    const options = await curl(['-X', 'OPTIONS', `${origin}/api/photos`])
    expect(options.heads.at(-1)).toMatchObject({ status: 204, headers: { allow: 'GET, POST, PUT, OPTIONS', 'upload-limit': 'min-size=0' } })
    const missing = await curl([`${origin}/nothing`])
    expect(missing.heads.at(-1)?.status).toBe(404)
    expect(missing.body).toBe('not found\n')
  })
})

describe('upstream mode and the metrics path', () => {
  let app: TestApp
  let dir: string

  beforeAll(async () => {
    app = await startApp()
    dir = await mkdtemp(join(tmpdir(), 'rg-upstream-metrics-'))
  })
  afterAll(async () => {
    await app.close()
    await rm(dir, { recursive: true, force: true })
  })

  /** The warnings a gateway logs while starting with `options`. */
  async function startupWarnings(options: GatewayOptions): Promise<{ msg: string; metricsPath?: string }[]> {
    const lines: string[] = []
    const logger = pino({ level: 'warn' }, { write: (line: string) => lines.push(line) })
    const gateway = await createGateway({ host: '127.0.0.1', port: 0, uploadDir: dir, logger, ...options })
    await gateway.listen()
    await gateway.close()
    return lines.map((line) => JSON.parse(line) as { msg: string; metricsPath?: string })
  }

  it('belongs to the gateway for every method: GET answers the metrics, any other method 405, and the application sees none', async () => {
    const gateway = await startGateway({ upstream: app.url })
    try {
      const origin = `http://127.0.0.1:${gateway.port}`
      const scrape = await curl([`${origin}/metrics`])
      expect(scrape.heads.at(-1)?.status).toBe(200)
      expect(scrape.body).toMatch(/^# HELP /m)
      for (const method of ['POST', 'PUT', 'DELETE']) {
        const other = await curl(['-X', method, `${origin}/metrics`, '--data-binary', 'x'])
        expect(other.heads.at(-1)).toMatchObject({ status: 405, headers: { allow: 'GET, HEAD' } })
      }
      expect(app.seen).toEqual([])
    } finally {
      await gateway.close()
    }
  })

  it('warns at start-up that the metrics path hides that path of the application, naming it and how to move it', async () => {
    const warnings = await startupWarnings({ upstream: app.url, metricsPath: '/prom' })
    expect(warnings).toContainEqual(expect.objectContaining({ metricsPath: '/prom', msg: expect.stringMatching(/--metrics-path.*--metrics-listen/) }))
  })

  it('does not warn when the metrics have a port of their own or are off', async () => {
    for (const options of [{ metricsListen: { host: '127.0.0.1', port: 0 } }, { exposeMetrics: false }]) {
      const warnings = await startupWarnings({ upstream: app.url, ...options })
      expect(warnings.filter((warning) => warning.metricsPath !== undefined)).toEqual([])
    }
  })
})

describe('upstream mode with a path prefix (--upstream http://app/app)', () => {
  let app: TestApp
  let gateway: TestGateway
  let origin: string

  beforeAll(async () => {
    app = await startApp()
    gateway = await startGateway({ upstream: `${app.url}/app`, upstreamTimeoutMs: 2000 })
    origin = `http://127.0.0.1:${gateway.port}`
  })
  afterAll(async () => {
    await gateway.close()
    await app.close()
  })
  afterEach(() => {
    app.seen.splice(0)
    app.received.splice(0)
  })

  it('puts the prefix before every path and resolves dot segments that stay under it', async () => {
    await curl([`${origin}/api/hello?x=1`])
    await curl(['--path-as-is', `${origin}/api/../hello`])
    expect(app.seen).toEqual([{ method: 'GET', url: '/app/api/hello?x=1' }, { method: 'GET', url: '/app/hello' }])
  })

  it.each([['/../admin'], ['/%2e%2e/admin'], ['/.%2e/admin?q=1'], ['/api/../../admin'], ['/..']])(
    'answers 400 to %s, whose dot segments leave the prefix, and never reaches the application',
    async (target) => {
      const { heads, body } = await curl(['--path-as-is', `${origin}${target}`])
      expect(heads.at(-1)?.status).toBe(400)
      expect(body).toMatch(/outside the application's path prefix \/app/)
      expect(app.seen).toEqual([])
    },
  )

  it('answers 400 to a draft creation whose path leaves the prefix: no upload is made, nothing is delivered', async () => {
    const { heads } = await curl([
      '-X', 'POST', `${origin}/%2e%2e/admin/upload`, '-H', 'Upload-Draft-Interop-Version: 8', '-H', 'Upload-Complete: ?1', '--data-binary', 'hello',
    ])
    expect(heads.map((head) => head.status)).toEqual([400])
    expect(app.seen).toEqual([])
  })

  it('answers 400 to a tus creation whose path leaves the prefix', async () => {
    const { heads } = await curl(['-X', 'POST', `${origin}/%2e%2e/admin/upload`, '-H', 'Tus-Resumable: 1.0.0', '-H', 'Upload-Length: 5'])
    expect(heads.at(-1)?.status).toBe(400)
    expect(heads.at(-1)?.headers.location).toBeUndefined()
  })
})

describe("upstream mode and spellings of the gateway's own paths", () => {
  let app: TestApp
  let gateway: TestGateway
  let prefixed: TestGateway

  beforeAll(async () => {
    app = await startApp()
    gateway = await startGateway({ upstream: app.url, demoPath: '/demo/', upstreamTimeoutMs: 2000 })
    prefixed = await startGateway({ upstream: `${app.url}/app`, upstreamTimeoutMs: 2000 })
  })
  afterAll(async () => {
    await gateway.close()
    await prefixed.close()
    await app.close()
  })
  afterEach(() => {
    app.seen.splice(0)
    app.received.splice(0)
  })

  const DRAFT_CREATION = ['-H', 'Upload-Draft-Interop-Version: 8', '-H', 'Upload-Complete: ?1', '--data-binary', 'hello']

  it.each([['/x/../metrics'], ['/x/%2e%2e/metrics'], ['/x/.%2E/metrics?q=1'], ['/%6detrics'], ['/x/../files/'], ['/x/../files/abc'], ['/x/../files'], ['/x/../demo/'], ['/api/%2e%2e/demo/index.html']])(
    'answers 400 to %s, which resolves to a path of the gateway, and never reaches the application',
    async (target) => {
      const { heads, body } = await curl(['--path-as-is', `http://127.0.0.1:${gateway.port}${target}`])
      expect(heads.at(-1)?.status).toBe(400)
      expect(body).toMatch(/resolves to the gateway's own path/)
      expect(app.seen).toEqual([])
    },
  )

  it('answers 400 to a draft creation whose path resolves into the upload collection: no upload is made, nothing is delivered', async () => {
    const { heads } = await curl(['--path-as-is', '-X', 'POST', `http://127.0.0.1:${gateway.port}/x/../files/`, ...DRAFT_CREATION])
    expect(heads.map((head) => head.status)).toEqual([400])
    expect(heads[0]?.headers.location).toBeUndefined()
    expect(app.seen).toEqual([])
  })

  it('answers 400 to a tus creation whose path resolves into the upload collection', async () => {
    const { heads } = await curl(['--path-as-is', '-X', 'POST', `http://127.0.0.1:${gateway.port}/x/%2e%2e/files/`, '-H', 'Tus-Resumable: 1.0.0', '-H', 'Upload-Length: 5'])
    expect(heads.at(-1)?.status).toBe(400)
    expect(heads.at(-1)?.headers.location).toBeUndefined()
    expect(app.seen).toEqual([])
  })

  it('with a path prefix: /x/../files/abc is the gateway\'s, not the application\'s /app/files/abc', async () => {
    const origin = `http://127.0.0.1:${prefixed.port}`
    for (const target of ['/x/../files/abc', '/x/../metrics']) {
      const { heads } = await curl(['--path-as-is', `${origin}${target}`])
      expect(heads.at(-1)?.status).toBe(400)
    }
    const { heads } = await curl(['--path-as-is', '-X', 'PUT', `${origin}/x/../files/abc`, ...DRAFT_CREATION])
    expect(heads.map((head) => head.status)).toEqual([400])
    expect(app.seen).toEqual([])
  })

  it('still passes on dot segments that resolve to a path of the application', async () => {
    await curl(['--path-as-is', `http://127.0.0.1:${gateway.port}/x/../api/hello`])
    await curl(['--path-as-is', `http://127.0.0.1:${gateway.port}/metrics/../api/hello`])
    expect(app.seen).toEqual([{ method: 'GET', url: '/api/hello' }, { method: 'GET', url: '/api/hello' }])
  })

  it('keeps a path under the base path as sent for the gateway, wherever its dot segments lead', async () => {
    const { heads } = await curl(['--path-as-is', `http://127.0.0.1:${gateway.port}/files/../api/hello`])
    expect(heads.at(-1)?.status).toBe(404)
    expect(app.seen).toEqual([])
  })
})
