import { createHash } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { pathOf } from '../support/tus.js'
import { appendHeaders, appendStatus, completeness, draft, eachDraftTransport, failureFields, retrieveOffset, runDraftCases, versions, type DraftCase } from './draft-cases.js'

const sha256 = (text: string): string => `sha-256=:${createHash('sha256').update(text).digest('base64')}:`
const sha512 = (text: string): string => `sha-512=:${createHash('sha512').update(text).digest('base64')}:`

// RFC 9530 digests belong to the protocol from -04 (interop 6).
const cases: DraftCase[] = [
  {
    name: '[R-78] an append whose Content-Digest matches is appended',
    versions: versions(6),
    given: { data: 'abc' },
    request: (v, upload) => ({ method: 'PATCH', url: upload!, headers: appendHeaders(v, 3, false, { 'content-digest': sha256('defg') }), body: 'defg' }),
    expect: (v) => ({ status: appendStatus(v, false) }),
    after: () => ({ offset: 7 }),
  },
  {
    name: '[R-78] an append whose Content-Digest does not match is refused with 400 and its bytes are not appended',
    versions: versions(6),
    given: { data: 'abc' },
    request: (v, upload) => ({ method: 'PATCH', url: upload!, headers: appendHeaders(v, 3, false, { 'content-digest': sha256('other') }), body: 'defg' }),
    expect: (v) => ({ status: 400, problem: null, headers: failureFields(v, { offset: 3, complete: false }) }),
    after: () => ({ offset: 3, complete: false }),
  },
  {
    name: '[R-78] a chunked append with a wrong sha-512 Content-Digest is discarded whole',
    versions: versions(6),
    given: { data: 'abc' },
    request: (v, upload) => ({
      method: 'PATCH',
      url: upload!,
      headers: appendHeaders(v, 3, false, { 'content-digest': sha512('nope') }),
      body: chunks(['de', 'fg']),
    }),
    expect: () => ({ status: 400, problem: null }),
    after: () => ({ offset: 3 }),
  },
  {
    name: '[R-78] [R-59] a creation whose Content-Digest does not match keeps none of its bytes (-04/-05: the upload announced in the 104 is at offset 0)',
    versions: versions(6),
    request: (v, _upload, base) => ({ method: 'POST', url: base, headers: draft(v, { ...completeness(v, false), 'content-digest': sha256('x') }), body: 'abc' }),
    expect: (v) => ({ status: 400, problem: null, headers: failureFields(v, { offset: 0, complete: false }) }),
  },
  {
    name: 'a Content-Digest of algorithms the gateway does not compute is ignored (RFC 9530 §2)',
    versions: versions(6),
    given: { data: 'abc' },
    request: (v, upload) => ({ method: 'PATCH', url: upload!, headers: appendHeaders(v, 3, false, { 'content-digest': 'md5=:AAAA:' }), body: 'de' }),
    expect: (v) => ({ status: appendStatus(v, false) }),
    after: () => ({ offset: 5 }),
  },
  {
    name: 'a Content-Digest that is not a structured dictionary is a 400 naming the field',
    versions: versions(6),
    given: { data: 'abc' },
    request: (v, upload) => ({ method: 'PATCH', url: upload!, headers: appendHeaders(v, 3, false, { 'content-digest': 'sha-256=abc' }), body: 'de' }),
    expect: () => ({ status: 400, problem: null }),
    after: () => ({ offset: 3 }),
  },
  {
    name: '[R-78] before -04 digests are not part of the protocol: a Content-Digest is not checked',
    versions: versions(3, 5),
    given: { data: 'abc' },
    request: (v, upload) => ({ method: 'PATCH', url: upload!, headers: appendHeaders(v, 3, false, { 'content-digest': sha256('other') }), body: 'de' }),
    expect: (v) => ({ status: appendStatus(v, false) }),
    after: () => ({ offset: 5 }),
  },
  {
    name: '[R-77] Want-Repr-Digest on a complete creation is answered with the Repr-Digest of the representation',
    versions: versions(6),
    request: (v, _upload, base) => ({
      method: 'POST',
      url: base,
      headers: draft(v, { ...completeness(v, true), 'want-repr-digest': 'sha-512=3, sha-256=10, md5=9' }),
      body: 'hello',
    }),
    expect: () => ({ status: 201, headers: { 'repr-digest': `${sha256('hello')}, ${sha512('hello')}` } }),
  },
  {
    name: '[R-76] a Repr-Digest given at creation is checked once the upload completes: a match completes it',
    versions: versions(6),
    request: (v, _upload, base) => ({
      method: 'POST',
      url: base,
      headers: draft(v, { ...completeness(v, true), 'repr-digest': sha256('hello') }),
      body: 'hello',
    }),
    expect: (v) => ({ status: 201, headers: { ...completeness(v, true) } }),
    after: () => ({ offset: 5, complete: true }),
  },
  {
    name: '[R-76] a Repr-Digest that does not match the completed upload fails it: 400 from processing (complete) and the upload is discarded',
    versions: versions(6),
    request: (v, _upload, base) => ({
      method: 'POST',
      url: base,
      headers: draft(v, { ...completeness(v, true), 'repr-digest': sha256('something else') }),
      body: 'hello',
    }),
    expect: (v) => ({ status: 400, problem: null, headers: { ...completeness(v, true) } }),
  },
]

runDraftCases(cases)

eachDraftTransport({}, (context) => {
  describe.each(versions(6).map((v) => [v]))('interop %i', (v) => {
    it('[R-76] [R-77] digests asked for at creation are checked and answered when a later append completes the upload', async () => {
      const { client, gateway } = context()
      const created = await client.request({
        method: 'POST',
        url: gateway.basePath,
        headers: draft(v, { ...completeness(v, false), 'repr-digest': sha256('hello world'), 'want-repr-digest': 'sha-512=5' }),
        body: 'hello ',
      })
      expect(created.status).toBe(201)
      const upload = pathOf(created.headers.location ?? '')
      const completed = await client.request({ method: 'PATCH', url: upload, headers: appendHeaders(v, 6, true), body: 'world' })
      expect(completed.status).toBe(appendStatus(v, true))
      expect(completed.headers['repr-digest']).toBe(sha512('hello world'))
    })

    it('[R-76] a later completion that does not match the creation\'s Repr-Digest fails and discards the upload', async () => {
      const { client, gateway } = context()
      const created = await client.request({
        method: 'POST',
        url: gateway.basePath,
        headers: draft(v, { ...completeness(v, false), 'repr-digest': sha256('hello world') }),
        body: 'hello ',
      })
      const upload = pathOf(created.headers.location ?? '')
      const completed = await client.request({ method: 'PATCH', url: upload, headers: appendHeaders(v, 6, true), body: 'there' })
      expect(completed.status).toBe(400)
      expect(completed.headers).toMatchObject(completeness(v, true))
      expect((await retrieveOffset(client, upload, v)).status).toBe(404)
    })
  })
})

async function* chunks(parts: string[]): AsyncGenerator<Uint8Array> {
  for (const part of parts) {
    yield Buffer.from(part)
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
}
