import http, { type IncomingHttpHeaders } from 'node:http'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { afterEach, expect, it } from 'vitest'
import { startGateway, type TestGateway } from '../support/gateway.js'
import { createUpload } from '../resilience/tus-http.js'
import { describeWithNginx, startNginx, type NginxServer } from '../servers/nginx.js'

// Early answers (409, 413, an interrupted request's 400...) are sent while the client is still sending
// its body. Behind nginx with its default upstream settings, a gateway that closed the connection right
// after such an answer made nginx fail writing the rest of the body (EPIPE), turn the answer into its own
// 502 and mark the gateway down for 10 s ("no live upstreams"). The gateway now lingers: it half-closes,
// reads and discards what still arrives for a bounded time, and only then closes.

interface Outcome {
  readonly status: number
  readonly headers: IncomingHttpHeaders
  readonly body: string
}

const CHUNK = Buffer.alloc(256 * 1024, 7)

/**
 * A PATCH at offset 0 whose body (`bytes` long) is written as fast as the connection takes it; on the
 * answer, the client stops sending, as curl and browsers do. Resolves with the answer, or with status 0
 * and the error when there was none.
 */
function racingPatch(url: string, bytes: number): Promise<Outcome> {
  return new Promise((resolve) => {
    let answered = false
    const request = http.request(url, {
      method: 'PATCH',
      agent: false,
      headers: {
        'tus-resumable': '1.0.0',
        'upload-offset': '0',
        'content-type': 'application/offset+octet-stream',
        'content-length': String(bytes),
      },
    })
    request.on('response', (response) => {
      answered = true
      let body = ''
      response.setEncoding('utf8')
      response.on('data', (text: string) => (body += text))
      response.on('end', () => {
        resolve({ status: response.statusCode ?? 0, headers: response.headers, body })
        request.destroy()
      })
      response.on('error', (error) => resolve({ status: 0, headers: {}, body: `response failed: ${error.message}` }))
    })
    request.on('error', (error) => {
      if (!answered) resolve({ status: 0, headers: {}, body: `no answer: ${error.message}` })
    })
    let sent = 0
    const pump = (): void => {
      while (sent < bytes && !answered && !request.destroyed) {
        const part = CHUNK.subarray(0, Math.min(CHUNK.length, bytes - sent))
        sent += part.length
        if (!request.write(part)) return
      }
      if (sent >= bytes && !request.writableEnded) request.end()
    }
    request.on('drain', pump)
    pump()
  })
}

/** An answer nginx made itself (its 502 page): it lacks the Tus-Resumable header every gateway answer has. */
function madeByNginx(outcome: Outcome): boolean {
  return outcome.status !== 0 && outcome.headers['tus-resumable'] === undefined
}

function describeOutcomes(outcomes: readonly Outcome[]): Record<string, number> {
  const counts: Record<string, number> = {}
  for (const o of outcomes) {
    const key = o.status === 0 ? o.body : madeByNginx(o) ? `${o.status} from nginx` : `${o.status} from the gateway`
    counts[key] = (counts[key] ?? 0) + 1
  }
  return counts
}

// The log lines of an upstream nginx gave up on.
const UPSTREAM_FAILURES = /while sending request to upstream|Broken pipe|no live upstreams|upstream prematurely closed|reset by peer/

describeWithNginx('early answers behind nginx', () => {
  let nginx: NginxServer | undefined
  const gateways: TestGateway[] = []
  let sharedDir: string | undefined

  afterEach(async () => {
    await nginx?.stop()
    nginx = undefined
    await Promise.all(gateways.splice(0).map((gateway) => gateway.close()))
    if (sharedDir !== undefined) await rm(sharedDir, { recursive: true, force: true })
    sharedDir = undefined
  })

  /**
   * `count` gateways sharing one upload directory, behind one nginx. (Each has its own in-memory lock,
   * so requests on different gateways do not wait for each other; only the answers matter here.)
   */
  async function start(count: number): Promise<string> {
    sharedDir = await mkdtemp(join(tmpdir(), 'rg-nginx-uploads-'))
    for (let i = 0; i < count; i++) gateways.push(await startGateway({ uploadDir: sharedDir }))
    nginx = await startNginx({ upstreams: gateways.map((gateway) => `127.0.0.1:${gateway.port}`) })
    return `${nginx.url}/files/`
  }

  /**
   * 20 PATCHes of 16 MiB at offset 0, started 15 ms apart, racing for one upload: each newcomer makes the
   * holder stop (its 400, with the bytes it stored) or finds the offset moved (409), both answered while
   * the body is still coming.
   */
  async function storm(collection: string): Promise<Outcome[]> {
    const upload = await createUpload(collection, 1024 ** 4)
    return Promise.all(Array.from({ length: 20 }, (_, i) => sleep(i * 15).then(() => racingPatch(upload, 16 * 1024 * 1024))))
  }

  it('20 PATCHes racing for one upload through nginx all get the gateway\'s own answer, none a 502 (two rounds)', async () => {
    const collection = await start(1)
    const outcomes = [...(await storm(collection)), ...(await storm(collection))]
    expect(describeOutcomes(outcomes.filter((o) => o.status === 0 || madeByNginx(o)))).toEqual({})
    // Early answers there were: interrupted holders (400) and stale offsets (409); at most the first PATCH may finish (204).
    expect(outcomes.filter((o) => o.status === 409 || o.status === 400).length, JSON.stringify(describeOutcomes(outcomes))).toBeGreaterThan(20)
    expect((await nginx!.errorLog()).split('\n').filter((line) => UPSTREAM_FAILURES.test(line))).toEqual([])
  }, 90_000)

  it('with three gateways behind nginx, none is marked down: no "no live upstreams" after two storms', async () => {
    const collection = await start(3)
    const outcomes = [...(await storm(collection)), ...(await storm(collection))]
    expect(describeOutcomes(outcomes.filter((o) => o.status === 0 || madeByNginx(o)))).toEqual({})
    // Every gateway still takes requests: OPTIONS, spread round-robin, reach a gateway each time.
    for (let i = 0; i < 6; i++) {
      const reply = await fetch(collection, { method: 'OPTIONS' })
      expect(reply.headers.get('tus-resumable')).toBe('1.0.0')
    }
    expect((await nginx!.errorLog()).split('\n').filter((line) => UPSTREAM_FAILURES.test(line))).toEqual([])
  }, 90_000)
})
