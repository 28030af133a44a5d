import { expect, it } from 'vitest'
import { completeness, draft, eachDraftTransport, failureFields, runDraftCases, versions, type DraftCase } from './draft-cases.js'
import { UPLOAD_ID } from '../support/tus.js'

const HUNDRED = 'x'.repeat(100)

// Each case runs for every interop version it names (default 3 to 10), over HTTP/1.1 and h2c.
const cases: DraftCase[] = [
  {
    name: '[R-29] [R-35] [R-39] a POST with "not complete" and part of the content creates an upload: 201, Location, offset, completeness',
    request: (v, _upload, base) => ({ method: 'POST', url: base, headers: draft(v, completeness(v, false)), body: HUNDRED.slice(0, 25) }),
    expect: (v) => ({
      status: 201,
      headers: { location: new RegExp(`^http://127\\.0\\.0\\.1:\\d+/files/${UPLOAD_ID}$`), 'upload-offset': '25', ...completeness(v, false) },
    }),
    after: () => ({ offset: 25, complete: false, length: null }),
  },
  {
    name: '[R-33] [R-34] [R-36] [R-10] a POST with "complete" and all the content completes the upload and records its length',
    request: (v, _upload, base) => ({ method: 'POST', url: base, headers: draft(v, completeness(v, true)), body: HUNDRED }),
    expect: (v) => ({ status: 201, headers: { location: new RegExp(`/files/${UPLOAD_ID}$`), 'upload-offset': '100', ...completeness(v, true) } }),
    after: () => ({ offset: 100, complete: true, length: 100 }),
  },
  {
    name: '[R-41] an empty POST with "not complete" creates an empty upload to append to later (careful creation)',
    request: (v, _upload, base) => ({ method: 'POST', url: base, headers: draft(v, completeness(v, false)) }),
    expect: (v) => ({ status: 201, headers: { 'upload-offset': '0', ...completeness(v, false) } }),
    after: () => ({ offset: 0, complete: false, length: null }),
  },
  {
    name: '[R-41] an empty POST with "complete" is an empty representation, complete at once',
    request: (v, _upload, base) => ({ method: 'POST', url: base, headers: draft(v, completeness(v, true)) }),
    expect: (v) => ({ status: 201, headers: { 'upload-offset': '0', ...completeness(v, true) } }),
    after: () => ({ offset: 0, complete: true, length: 0 }),
  },
  {
    name: '[R-12] [R-36] Upload-Length on a creation is recorded and reported by offset retrieval (from -05)',
    versions: versions(6),
    request: (v, _upload, base) => ({
      method: 'POST',
      url: base,
      headers: draft(v, { ...completeness(v, false), 'upload-length': '100' }),
      body: HUNDRED.slice(0, 40),
    }),
    expect: () => ({ status: 201, headers: { 'upload-offset': '40' } }),
    after: () => ({ offset: 40, complete: false, length: 100 }),
  },
  {
    name: '[R-13] Upload-Length that differs from what "complete" and Content-Length indicate is refused before anything is created',
    versions: versions(6),
    request: (v, _upload, base) => ({
      method: 'POST',
      url: base,
      headers: draft(v, { ...completeness(v, true), 'upload-length': '99' }),
      body: HUNDRED,
    }),
    // The problem type exists from interop 7 (-06); before, the problem is about:blank.
    expect: (v) => ({ status: 400, problem: v >= 7 ? 'inconsistent-upload-length' : null, headers: { location: null } }),
  },
  {
    name: '[R-13] [R-61] content longer than the creation\'s Upload-Length is refused before it is read',
    versions: versions(6),
    request: (v, _upload, base) => ({
      method: 'POST',
      url: base,
      headers: draft(v, { ...completeness(v, false), 'upload-length': '10' }),
      body: HUNDRED.slice(0, 20),
    }),
    // No upload was created: up to -05 there is no state to tell.
    expect: (v) => ({ status: 400, problem: v >= 7 ? 'inconsistent-upload-length' : null, headers: failureFields(v) }),
  },
  {
    name: '[R-29] PUT with the completeness field also creates an upload (any method that carries content)',
    request: (v, _upload, base) => ({ method: 'PUT', url: base, headers: draft(v, completeness(v, true)), body: HUNDRED }),
    expect: (v) => ({ status: 201, headers: { location: new RegExp(`/files/${UPLOAD_ID}$`), ...completeness(v, true) } }),
    after: () => ({ offset: 100, complete: true }),
  },
  {
    name: '[R-29] PATCH to the collection with the completeness field creates an upload',
    request: (v, _upload, base) => ({ method: 'PATCH', url: base, headers: draft(v, completeness(v, false)), body: 'abc' }),
    expect: () => ({ status: 201, headers: { 'upload-offset': '3' } }),
    after: () => ({ offset: 3, complete: false }),
  },
  {
    name: '[R-29] a POST without the completeness field is not a resumable upload creation: 400 naming the field',
    request: (v, _upload, base) => ({ method: 'POST', url: base, headers: draft(v), body: 'abc' }),
    expect: () => ({ status: 400, problem: null, headers: { location: null } }),
  },
  {
    name: '[R-64] a chunked creation (no Content-Length, as the draft-example Go client sends) stores every byte',
    request: (v, _upload, base) => ({ method: 'POST', url: base, headers: draft(v, completeness(v, true)), body: chunks(['ab', 'cd', 'ef']) }),
    expect: (v) => ({ status: 201, headers: { 'upload-offset': '6', ...completeness(v, true) } }),
    after: () => ({ offset: 6, complete: true, length: 6 }),
  },
  {
    name: 'GET on the collection cannot create an upload: 405 with Allow',
    request: (v, _upload, base) => ({ method: 'GET', url: base, headers: draft(v, completeness(v, true)) }),
    expect: () => ({ status: 405, problem: null, headers: { allow: /POST/ } }),
  },
  {
    name: 'a path that names no upload is a 404 problem',
    request: (v) => ({ method: 'HEAD', url: '/elsewhere/x', headers: draft(v) }),
    expect: () => ({ status: 404 }),
  },
]

runDraftCases(cases)

async function* chunks(parts: string[]): AsyncGenerator<Uint8Array> {
  for (const part of parts) {
    yield Buffer.from(part)
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
}

eachDraftTransport({}, (context) => {
  it('[R-01] [R-79] [R-80] every creation gets its own unguessable URI: 128 random bits, nothing about the server in it', async () => {
    const { client, gateway } = context()
    const locations = new Set<string>()
    for (let i = 0; i < 20; i++) {
      const created = await client.request({ method: 'POST', url: gateway.basePath, headers: draft(8, completeness(8, false)) })
      const location = created.headers.location ?? ''
      expect(location).toMatch(new RegExp(`/files/${UPLOAD_ID}$`))
      expect(location).not.toContain(gateway.uploadDir)
      locations.add(location)
    }
    expect(locations.size).toBe(20)
  })
})
