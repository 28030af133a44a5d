import http2, { type ClientHttp2Session } from 'node:http2'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { fuzzRequest, type FuzzTargets } from './arbitraries.js'
import { uploadsInEveryState } from './fixtures.js'
import { startFuzzGateway } from './fuzz-gateway.js'
import { checkHttp1, checkHttp2, expectHealthy, type SurfaceRun } from './surface-checks.js'

// Random and malformed requests (methods, paths, every header the gateway reads, bodies, trailers), most of
// them well-formed tus requests bent by a few random headers, against uploads in every state and those the
// run creates. Bad input is the client's fault: it may get any 4xx, never a 5xx, and the gateway must go on
// serving. The one documented 5xx, 500 for a body that stalls, cannot happen here: every body is sent
// whole. http-surface.slow.test.ts runs more cases, concurrently, with every feature on.
const RUNS = 200

describe('the HTTP surface under random and malformed requests', () => {
  let run: SurfaceRun
  let targets: FuzzTargets

  beforeAll(async () => {
    const gateway = await startFuzzGateway({ maxSize: 1_000_000 })
    targets = { basePath: gateway.basePath, origin: gateway.origin }
    run = { gateway, ids: await uploadsInEveryState(`${gateway.origin}${gateway.basePath}`) }
  })
  afterAll(async () => {
    await run?.gateway.close()
  })

  it('never answers an HTTP/1.1 request with a 5xx, and answers each one once and closes as asked', async () => {
    await fc.assert(
      fc.asyncProperty(fuzzRequest(targets, { obsText: true }), (request) => checkHttp1(run, request)),
      { numRuns: RUNS },
    )
    await expectHealthy(run)
  })

  it('never answers an h2c stream with a 5xx, resets only malformed ones, and keeps the session', async () => {
    const session: ClientHttp2Session = http2.connect(run.gateway.origin)
    session.on('error', () => {})
    try {
      await fc.assert(
        fc.asyncProperty(fuzzRequest(targets, { obsText: false }), async (request) => {
          // node's client refuses a few header values outright; there is nothing to send then.
          fc.pre(await checkHttp2(run, session, request))
        }),
        { numRuns: RUNS },
      )
      expect(session.closed || session.destroyed).toBe(false)
      await expectHealthy(run)
    } finally {
      session.close()
    }
  })
})
