import http2 from 'node:http2'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { fuzzRequest, type FuzzTargets } from './arbitraries.js'
import { uploadsInEveryState } from './fixtures.js'
import { startFuzzGateway } from './fuzz-gateway.js'
import { checkHttp1, checkHttp2, expectHealthy, type SurfaceRun } from './surface-checks.js'

// The property of http-surface.property.test.ts, harder: every feature on (the IETF draft beside tus,
// expiration with a sweeper every 50 ms, a size limit), batches of requests sent at once so that they meet
// on the same uploads (locks, release requests, concatenation, expiry under way), over HTTP/1.1
// connections side by side and over many streams of one h2c session.
const BATCHES = 800
/** One to eight requests, sent at once. */
const batch = <T>(request: fc.Arbitrary<T>): fc.Arbitrary<T[]> => fc.array(request, { minLength: 1, maxLength: 8 })
// Bounded, with room for a busy machine: a hang fails the test instead of stalling the suite.
const TIMEOUT_MS = 180_000

describe('the HTTP surface under concurrent random requests, every feature on', () => {
  let run: SurfaceRun
  let targets: FuzzTargets

  beforeAll(async () => {
    const gateway = await startFuzzGateway({
      maxSize: 1_000_000,
      experimentalProtocol: true,
      expireAfterMs: 400,
      expireFinishedAfterMs: 800,
      expirationSweepIntervalMs: 50,
    })
    targets = { basePath: gateway.basePath, origin: gateway.origin }
    run = { gateway, ids: await uploadsInEveryState(`${gateway.origin}${gateway.basePath}`) }
  })
  afterAll(async () => {
    await run?.gateway.close()
  })

  it('never answers concurrent HTTP/1.1 requests with a 5xx', async () => {
    await fc.assert(
      fc.asyncProperty(batch(fuzzRequest(targets, { obsText: true })), async (requests) => {
        await Promise.all(requests.map((request) => checkHttp1(run, request)))
      }),
      { numRuns: BATCHES },
    )
    await expectHealthy(run)
  }, TIMEOUT_MS)

  it('never answers concurrent h2c streams with a 5xx, and keeps the session', async () => {
    const session = http2.connect(run.gateway.origin)
    session.on('error', () => {})
    try {
      await fc.assert(
        fc.asyncProperty(batch(fuzzRequest(targets, { obsText: false })), async (requests) => {
          await Promise.all(requests.map((request) => checkHttp2(run, session, request)))
        }),
        { numRuns: BATCHES },
      )
      expect(session.closed || session.destroyed).toBe(false)
      await expectHealthy(run)
    } finally {
      session.close()
    }
  }, TIMEOUT_MS)
})
