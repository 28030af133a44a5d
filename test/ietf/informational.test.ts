import { connect } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startGateway, type TestGateway } from '../support/gateway.js'
import { pathOf, UPLOAD_ID } from '../support/tus.js'
import { tlsDraftTransport, type Interim } from './draft-client.js'
import { appendHeaders, completeness, createDraftUpload, draft, eachDraftTransport, VERSIONS } from './draft-cases.js'

const PROGRESS_MS = 20

/** A body that sends `first`, waits until `ready()` resolves, then sends `rest`. */
async function* inTwoParts(first: string, ready: () => Promise<void>, rest: string): AsyncGenerator<Uint8Array> {
  yield Buffer.from(first)
  await ready()
  yield Buffer.from(rest)
}

/** A promise resolved by the first interim response that `matches`, and the listener that feeds it. */
function interimWaiter(matches: (interim: Interim) => boolean): { seen: Promise<void>; onInterim: (interim: Interim) => void } {
  let resolve: () => void = () => {}
  const seen = new Promise<void>((done) => (resolve = done))
  return { seen, onInterim: (interim) => matches(interim) && resolve() }
}

const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

eachDraftTransport({ progressIntervalMs: PROGRESS_MS }, (context) => {
  describe.each(VERSIONS.map((v) => [v]))('interop %i', (v) => {
    it('[R-30] [R-31] [R-32] [R-38] a creation gets one 104 before its content is read: Location, the version, the limits; the final Location is identical', async () => {
      const { client, gateway } = context()
      const response = await client.request({ method: 'POST', url: gateway.basePath, headers: draft(v, completeness(v, false)), body: 'abc' })
      expect(response.status).toBe(201)
      const [announce, ...rest] = response.interim
      expect(announce?.status).toBe(104)
      expect(announce?.headers.location).toBe(response.headers.location)
      expect(announce?.headers['upload-draft-interop-version']).toBe(String(v))
      // Upload-Limit exists from -04 (interop 6); from -09 it is a MUST in the 104.
      expect(announce?.headers['upload-limit']).toBe(v >= 6 ? 'min-size=0' : undefined)
      for (const later of rest) expect(later.headers.location).toBeUndefined()
    })

    it('[R-37] [R-62] [R-04] while a creation streams, progress 104s report the offset without Location (from -03); none before', async () => {
      const { client, gateway } = context()
      const waiter = interimWaiter((interim) => interim.headers['upload-offset'] === '3')
      // -01/-02 know only the 104 that announces Location: there the body simply waits a few intervals.
      const ready = v >= 5 ? () => waiter.seen : () => pause(PROGRESS_MS * 5)
      const response = await client.request({
        method: 'POST',
        url: gateway.basePath,
        headers: draft(v, completeness(v, true)),
        body: inTwoParts('abc', ready, 'defgh'),
        onInterim: waiter.onInterim,
      })
      expect(response.status).toBe(201)
      const progress = response.interim.filter((interim) => interim.headers['upload-offset'] !== undefined)
      if (v < 5) {
        expect(response.interim).toHaveLength(1)
        return
      }
      expect(progress.length).toBeGreaterThan(0)
      for (const report of progress) {
        expect(report.status).toBe(104)
        expect(report.headers.location).toBeUndefined()
        expect(report.headers['upload-draft-interop-version']).toBe(String(v))
      }
      // -03: offsets in 104s never decrease ([R-04]: the offset never decreases).
      const offsets = progress.map((report) => Number(report.headers['upload-offset']))
      expect(offsets).toEqual([...offsets].sort((a, b) => a - b))
    })

    it('[R-62] while an append streams, progress 104s report the offset and never Location (from -03); none before', async () => {
      const { client, gateway } = context()
      const upload = pathOf(await createDraftUpload(client, gateway.basePath, v, { data: 'ab' }))
      const waiter = interimWaiter((interim) => interim.headers['upload-offset'] === '5')
      const ready = v >= 5 ? () => waiter.seen : () => pause(PROGRESS_MS * 5)
      const response = await client.request({
        method: 'PATCH',
        url: upload,
        headers: appendHeaders(v, 2, false),
        body: inTwoParts('cde', ready, 'fg'),
        onInterim: waiter.onInterim,
      })
      expect(response.headers['upload-offset']).toBe('7')
      if (v < 5) {
        expect(response.interim).toEqual([])
        return
      }
      expect(response.interim.length).toBeGreaterThan(0)
      for (const report of response.interim) {
        expect(report.status).toBe(104)
        expect(report.headers.location).toBeUndefined()
        expect(report.headers['upload-offset']).toMatch(/^\d+$/)
      }
    })

    it('[R-85] every final response echoes the request\'s interop version', async () => {
      const { client, gateway } = context()
      const upload = pathOf(await createDraftUpload(client, gateway.basePath, v))
      for (const request of [
        { method: 'HEAD', url: upload, headers: draft(v) },
        { method: 'PATCH', url: upload, headers: appendHeaders(v, 9, false), body: 'x' },
        { method: 'OPTIONS', url: gateway.basePath, headers: draft(v) },
        { method: 'DELETE', url: upload, headers: draft(v) },
      ]) {
        const response = await client.request(request)
        expect(response.headers['upload-draft-interop-version'], request.method).toBe(String(v))
      }
    })
  })

  describe('a missing or unknown interop version', () => {
    it.each([['11'], ['2'], ['0'], ['-1'], ['abc'], ['5, 6'], ['?1']])(
      '[R-32] version %s never gets a 104 nor an echo, and is served with the newest semantics (README policy)',
      async (version) => {
        const { client, gateway } = context()
        const response = await client.request({
          method: 'POST',
          url: gateway.basePath,
          headers: { 'upload-draft-interop-version': version, 'upload-complete': '?0' },
          body: chunksSlowly(['ab', 'cd']),
        })
        expect(response.status).toBe(201)
        expect(response.interim).toEqual([])
        expect(response.headers['upload-draft-interop-version']).toBeUndefined()
        expect(response.headers['upload-complete']).toBe('?0')
        expect(response.headers['upload-offset']).toBe('4')
      },
    )
  })
})

async function* chunksSlowly(parts: string[]): AsyncGenerator<Uint8Array> {
  for (const part of parts) {
    yield Buffer.from(part)
    await pause(PROGRESS_MS * 3)
  }
}

eachDraftTransport(
  {},
  (context) => {
    it('[R-31] [R-38] over TLS the 104 and the final response carry the same https Location', async () => {
      const { client, gateway } = context()
      const response = await client.request({ method: 'POST', url: gateway.basePath, headers: draft(8, completeness(8, false)), body: 'abc' })
      expect(response.interim[0]?.headers.location).toMatch(new RegExp(`^https://127\\.0\\.0\\.1:\\d+/files/${UPLOAD_ID}$`))
      expect(response.headers.location).toBe(response.interim[0]?.headers.location)
    })
  },
  [tlsDraftTransport],
)

describe('HTTP/1.1 specifics', () => {
  let gateway: TestGateway
  beforeAll(async () => {
    gateway = await startGateway({ experimentalProtocol: true, progressIntervalMs: 0 })
  })
  afterAll(() => gateway.close())

  it('[R-72] Expect: 100-continue still gets its 100 after the 104 (the 104 does not replace it)', async () => {
    const raw = await rawExchange(
      gateway.port,
      ['POST /files/ HTTP/1.1', 'Host: x', 'Upload-Draft-Interop-Version: 8', 'Upload-Complete: ?1', 'Content-Length: 3', 'Expect: 100-continue', '', ''].join('\r\n'),
      1,
      'abc',
    )
    const order = [...raw.matchAll(/^HTTP\/1\.1 (\d{3})/gm)].map((match) => match[1])
    expect(order).toEqual(['104', '100', '201'])
  })

  it('[R-30] pipelined creations each get their 104 right before their own final response', async () => {
    const request = (body: string) =>
      ['POST /files/ HTTP/1.1', 'Host: x', 'Upload-Draft-Interop-Version: 6', 'Upload-Complete: ?1', `Content-Length: ${body.length}`, '', body].join('\r\n')
    const raw = await rawExchange(gateway.port, request('one') + request('three'), 2)
    const heads = [...raw.matchAll(/^HTTP\/1\.1 (\d{3})[^\r]*\r\n([\s\S]*?)\r\n\r\n/gm)].map((match) => ({
      status: match[1],
      location: /^location: (.*)$/im.exec(match[2] ?? '')?.[1],
      offset: /^upload-offset: (.*)$/im.exec(match[2] ?? '')?.[1],
    }))
    expect(heads.map((head) => head.status)).toEqual(['104', '201', '104', '201'])
    expect(heads[0]?.location).toBe(heads[1]?.location)
    expect(heads[2]?.location).toBe(heads[3]?.location)
    expect(heads[0]?.location).not.toBe(heads[2]?.location)
    expect([heads[1]?.offset, heads[3]?.offset]).toEqual(['3', '5'])
  })
})

/**
 * Writes `head` on a raw connection (and `body` once `100 Continue` arrives, if given); resolves with
 * everything read once `finals` complete 201 heads have arrived.
 */
function rawExchange(port: number, head: string, finals: number, body?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1')
    let text = ''
    let bodySent = body === undefined
    socket.setEncoding('latin1')
    socket.on('data', (chunk: string) => {
      text += chunk
      if (!bodySent && text.includes('100 Continue')) {
        bodySent = true
        socket.write(body ?? '')
      }
      if ((text.match(/HTTP\/1\.1 201[\s\S]*?\r\n\r\n/g) ?? []).length === finals) {
        socket.end()
        resolve(text)
      }
    })
    socket.on('error', reject)
    socket.write(head)
  })
}
