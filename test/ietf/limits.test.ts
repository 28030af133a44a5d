import { describe, expect, it } from 'vitest'
import { pathOf } from '../support/tus.js'
import { appendHeaders, appendStatus, completeness, createDraftUpload, draft, eachDraftTransport, failureFields, retrieveOffset, runDraftCases, versions, type DraftCase } from './draft-cases.js'

const LIMITS = { maxSize: 1000, minSize: 10, maxAppendSize: 100, minAppendSize: 20 }
const LIMIT_FIELD = 'max-size=1000, min-size=10, max-append-size=100, min-append-size=20'
const bytes = (n: number): string => 'x'.repeat(n)

describe('with no limits configured', () => {
  runDraftCases([
    {
      name: '[R-23] [R-25] [R-28] OPTIONS announces Upload-Limit (min-size=0 when there are none) and Accept-Patch',
      request: (v, _upload, base) => ({ method: 'OPTIONS', url: base, headers: draft(v) }),
      expect: () => ({ status: 200, headers: { 'upload-limit': 'min-size=0', 'accept-patch': 'application/partial-upload' } }),
    },
  ])
})

describe('with limits configured', () => {
  const cases: DraftCase[] = [
    {
      name: '[R-15] [R-22] [R-23] OPTIONS announces every limit as an SF Dictionary of Integers',
      request: (v, _upload, base) => ({ method: 'OPTIONS', url: base, headers: draft(v) }),
      expect: () => ({ status: 200, headers: { 'upload-limit': LIMIT_FIELD } }),
    },
    {
      name: '[R-24] OPTIONS * announces the same limits, as they hold for every upload resource',
      request: (v) => ({ method: 'OPTIONS', url: '*', headers: draft(v) }),
      expect: () => ({ status: 200, headers: { 'upload-limit': LIMIT_FIELD } }),
    },
    {
      name: '[R-31] [R-35] [R-47] [R-21] [R-26] the creation 104, the creation and the offset retrieval carry the same limits as OPTIONS (from -04)',
      versions: versions(6),
      given: { length: 50, data: bytes(20) },
      request: (v, upload) => ({ method: 'HEAD', url: upload!, headers: draft(v) }),
      expect: () => ({ status: 204, headers: { 'upload-limit': LIMIT_FIELD } }),
    },
    {
      name: '[R-16] [R-27] an Upload-Length over max-size is refused with 413 and Upload-Limit, before any content is read',
      versions: versions(6),
      request: (v, _upload, base) => ({
        method: 'POST',
        url: base,
        headers: draft(v, { ...completeness(v, false), 'upload-length': '1001' }),
        body: bytes(20),
      }),
      expect: () => ({ status: 413, problem: null, headers: { 'upload-limit': LIMIT_FIELD, location: null } }),
    },
    {
      name: '[R-18] [R-27] an append with more content than max-append-size is refused with 413 and Upload-Limit',
      versions: versions(6),
      given: { length: 500, data: bytes(20) },
      request: (v, upload) => ({ method: 'PATCH', url: upload!, headers: appendHeaders(v, 20, false), body: bytes(101) }),
      expect: () => ({ status: 413, problem: null, headers: { 'upload-limit': LIMIT_FIELD } }),
      after: () => ({ offset: 20 }),
    },
    {
      name: '[R-18] a chunked append is stopped at max-append-size: 413, and what arrived up to the limit is kept',
      versions: versions(6),
      given: { length: 500, data: bytes(20) },
      request: (v, upload) => ({ method: 'PATCH', url: upload!, headers: appendHeaders(v, 20, false), body: chunks([60, 60]) }),
      expect: () => ({ status: 413, problem: null }),
      // Exactly max-append-size (100) bytes are kept, however the network split or joined the chunks.
      after: () => ({ offset: 120 }),
    },
    {
      name: '[R-18] from -12 max-append-size also governs the content of a creation',
      versions: versions(9),
      request: (v, _upload, base) => ({ method: 'POST', url: base, headers: draft(v, { ...completeness(v, false), 'upload-length': '500' }), body: bytes(101) }),
      expect: () => ({ status: 413, problem: null, headers: { location: null } }),
    },
    {
      name: '[R-18] up to -11 max-append-size is about appends: a creation may carry more',
      versions: versions(6, 8),
      request: (v, _upload, base) => ({ method: 'POST', url: base, headers: draft(v, { ...completeness(v, false), 'upload-length': '500' }), body: bytes(101) }),
      expect: () => ({ status: 201 }),
      after: () => ({ offset: 101 }),
    },
    {
      name: '[R-19] an append below min-append-size that does not complete is refused with 400 and Upload-Limit',
      versions: versions(6),
      given: { length: 500, data: bytes(20) },
      request: (v, upload) => ({ method: 'PATCH', url: upload!, headers: appendHeaders(v, 20, false), body: bytes(19) }),
      expect: () => ({ status: 400, problem: null, headers: { 'upload-limit': LIMIT_FIELD } }),
      after: () => ({ offset: 20 }),
    },
    {
      name: '[R-19] an append below min-append-size that completes the upload is accepted',
      versions: versions(6),
      given: { length: 25, data: bytes(20) },
      request: (v, upload) => ({ method: 'PATCH', url: upload!, headers: appendHeaders(v, 20, true), body: bytes(5) }),
      expect: (v) => ({ status: appendStatus(v, true), headers: { ...completeness(v, true) } }),
      after: () => ({ offset: 25, complete: true }),
    },
    {
      name: '[R-19] [R-41] a creation without content is accepted whatever min-append-size says',
      versions: versions(6),
      request: (v, _upload, base) => ({ method: 'POST', url: base, headers: draft(v, { ...completeness(v, false), 'upload-length': '500' }) }),
      expect: () => ({ status: 201 }),
      after: () => ({ offset: 0 }),
    },
    {
      name: '[R-17] below min-size there is no upload resource to resume: a creation that is not complete is refused',
      versions: versions(6),
      request: (v, _upload, base) => ({ method: 'POST', url: base, headers: draft(v, { ...completeness(v, false), 'upload-length': '9' }), body: 'abc' }),
      expect: (v) => ({ status: 400, problem: null, headers: { location: null, ...failureFields(v) } }),
    },
    {
      name: '[R-17] [R-30] below min-size a complete creation is accepted as a plain upload, without a 104',
      versions: versions(6),
      request: (v, _upload, base) => ({ method: 'POST', url: base, headers: draft(v, completeness(v, true)), body: 'tiny' }),
      expect: (v) => ({ status: 201, headers: { ...completeness(v, true) }, interim: (interim) => expect(interim).toEqual([]) }),
      after: () => ({ offset: 4, complete: true }),
    },
    {
      name: '[R-17] [R-18] [R-19] versions without Upload-Limit (before -04) cannot learn the limits, so only max-size applies to them',
      versions: versions(3, 5),
      request: (v, _upload, base) => ({ method: 'POST', url: base, headers: draft(v, completeness(v, false)), body: bytes(101) }),
      expect: (v) => ({ status: 201, headers: { 'upload-offset': '101', 'upload-limit': null, ...completeness(v, false) } }),
      after: () => ({ offset: 101 }),
    },
  ]
  runDraftCases(cases, LIMITS)
})

describe('with expiration (--expire-after)', () => {
  eachDraftTransport({ expireAfterMs: 3_600_000 }, (context) => {
    it.each([[6], [7], [8], [9], [10]])('[R-20] interop %i: the lifetime is "expires" in -04/-05, "max-age" from -06, in seconds', async (v) => {
      const { client, gateway } = context()
      const key = v === 6 ? 'expires' : 'max-age'
      const options = await client.request({ method: 'OPTIONS', url: gateway.basePath, headers: draft(v) })
      expect(options.headers['upload-limit']).toBe(`${key}=3600`)
      const upload = pathOf(await createDraftUpload(client, gateway.basePath, v, { data: 'abc' }))
      const head = await retrieveOffset(client, upload, v)
      const lifetime = new RegExp(`^${key}=(\\d+)$`).exec(head.headers['upload-limit'] ?? '')
      expect(lifetime).not.toBeNull()
      // Counted from this response: at most the full hour, and the upload was written a moment ago.
      expect(Number(lifetime?.[1])).toBeLessThanOrEqual(3600)
      expect(Number(lifetime?.[1])).toBeGreaterThan(3500)
    })
  })
})

describe('an expired upload (--expire-after)', () => {
  eachDraftTransport({ expireAfterMs: 300 }, (context) => {
    // -01 to -05 (interop 3 to 6): "If the server does not consider the upload resource to be active, it MUST respond
    // with a 404 (Not Found) status code" (offset retrieval, append, cancellation); later drafts leave it open: 410.
    it.each([[3], [5], [6], [7], [10]])('[R-52] [R-68] interop %i: HEAD, PATCH and DELETE are 404 up to -05, 410 after', async (v) => {
      const { client, gateway } = context()
      const upload = pathOf(await createDraftUpload(client, gateway.basePath, v, { data: 'abc' }))
      await new Promise((resolve) => setTimeout(resolve, 600))
      const status = v <= 6 ? 404 : 410
      expect((await client.request({ method: 'HEAD', url: upload, headers: draft(v) })).status).toBe(status)
      const append = await client.request({ method: 'PATCH', url: upload, headers: { ...draft(v), ...appendHeaders(v, 3, false) }, body: 'def' })
      expect(append.status).toBe(status)
      expect((await client.request({ method: 'DELETE', url: upload, headers: draft(v) })).status).toBe(status)
    })
  })
})

async function* chunks(sizes: number[]): AsyncGenerator<Uint8Array> {
  for (const size of sizes) {
    yield Buffer.alloc(size, 0x61)
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}
