import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { pathOf } from '../support/tus.js'
import {
  appendHeaders,
  appendStatus,
  completeness,
  completenessName,
  createDraftUpload,
  draft,
  eachDraftTransport,
  PARTIAL_UPLOAD,
  runDraftCases,
  versions,
  VERSIONS,
  type DraftCase,
} from './draft-cases.js'

// Values that are not of the field's structured type: a boolean out of range, negative and decimal
// integers (structured-headers parses all of these), a token, a list, garbage.
const NOT_AN_INTEGER = ['-1', '1.5', '1.0', '?1', 'abc', '5, 6', '']
const NOT_A_BOOLEAN = ['?2', '1', 'true', '?1, ?0', '"?1"']

const cases: DraftCase[] = [
  ...NOT_AN_INTEGER.map(
    (value): DraftCase => ({
      name: `[R-06] Upload-Offset "${value}" on an append is refused with 400 (up to -08) or ignored and so missing (from -09): 400 either way`,
      given: { data: 'abc' },
      request: (v, upload) => ({ method: 'PATCH', url: upload!, headers: appendHeaders(v, 0, false, { 'upload-offset': value }), body: 'd' }),
      expect: () => ({ status: 400, problem: null }),
      after: () => ({ offset: 3 }),
    }),
  ),
  ...NOT_A_BOOLEAN.map(
    (value): DraftCase => ({
      name: `[R-08] a completeness field "${value}" on a creation is refused with 400 (ignored from -09, then missing: 400)`,
      request: (v, _upload, base) => ({ method: 'POST', url: base, headers: draft(v, { [completenessName(v)]: value }), body: 'abc' }),
      expect: () => ({ status: 400, problem: null, headers: { location: null } }),
    }),
  ),
  ...NOT_A_BOOLEAN.map(
    (value): DraftCase => ({
      name: `[R-08] [R-54] a completeness field "${value}" on an append is 400 up to -08 and from -09 ignored, so missing (required from -06)`,
      versions: versions(7),
      given: { data: 'abc' },
      request: (v, upload) => ({
        method: 'PATCH',
        url: upload!,
        headers: draft(v, { 'content-type': PARTIAL_UPLOAD, 'upload-offset': '3', [completenessName(v)]: value }),
        body: 'd',
      }),
      expect: () => ({ status: 400, problem: null }),
      after: () => ({ offset: 3 }),
    }),
  ),
  ...NOT_AN_INTEGER.filter((value) => value !== '').map(
    (value): DraftCase => ({
      name: `[R-11] Upload-Length "${value}" on a creation is refused with 400 up to -08; from -09 it is ignored and the upload created without a length`,
      versions: versions(6),
      request: (v, _upload, base) => ({ method: 'POST', url: base, headers: draft(v, { ...completeness(v, false), 'upload-length': value }), body: 'abc' }),
      expect: (v) => (v <= 7 ? { status: 400, problem: null, headers: { location: null } } : { status: 201 }),
      after: (v) => (v <= 7 ? undefined : { offset: 3, length: null }),
    }),
  ),
  {
    name: '[R-06] [R-11] parameters on an integer field are allowed and ignored (RFC 8941 Item)',
    versions: versions(6),
    given: { data: 'abc' },
    request: (v, upload) => ({ method: 'PATCH', url: upload!, headers: appendHeaders(v, 3, false, { 'upload-offset': '3;x=1', 'upload-length': '9;y' }), body: 'de' }),
    expect: (v) => ({ status: appendStatus(v, false) }),
    after: () => ({ offset: 5, length: 9 }),
  },
]

runDraftCases(cases)

eachDraftTransport({}, (context) => {
  describe('malformed input never makes the gateway fail', () => {
    it('[R-06] [R-08] [R-11] [R-49] [R-67] random values of the draft fields get a 2xx or a 4xx, never a 5xx nor a 301/302', async () => {
      const { client, gateway } = context()
      const url = pathOf(await createDraftUpload(client, gateway.basePath, 8, { data: 'abc' }))
      // Field values as clients could send them: printable ASCII, no CR/LF (which would not be one field).
      const value = fc.stringMatching(/^[\x21-\x7e][\x20-\x7e]{0,20}$/)
      const fields = fc.record(
        {
          'upload-draft-interop-version': fc.oneof(fc.constantFrom(...VERSIONS.map(String)), value),
          'upload-offset': fc.oneof(fc.constantFrom('0', '3', '-1', '1.5', '999999999999999'), value),
          'upload-complete': fc.oneof(fc.constantFrom('?0', '?1', '?2', 'true'), value),
          'upload-incomplete': value,
          'upload-length': fc.oneof(fc.constantFrom('3', '0', '-1'), value),
          'content-digest': value,
          'repr-digest': value,
          'want-repr-digest': value,
          'content-disposition': value,
          'content-type': fc.oneof(fc.constant(PARTIAL_UPLOAD), value),
        },
        { requiredKeys: ['upload-draft-interop-version'] },
      )
      await fc.assert(
        fc.asyncProperty(fields, fc.constantFrom('POST', 'PATCH', 'HEAD', 'DELETE', 'GET', 'PUT'), fc.boolean(), async (headers, method, toUpload) => {
          // DELETE would remove the upload the other runs use: it goes to the collection only.
          const target = toUpload && method !== 'DELETE' ? url : gateway.basePath
          const body = method === 'HEAD' || method === 'GET' || method === 'DELETE' ? undefined : 'x'
          const response = await client.request({ method, url: target, headers, body })
          expect(response.status, `${method} ${JSON.stringify(headers)}: ${response.text}`).toBeLessThan(500)
          expect([301, 302]).not.toContain(response.status)
        }),
        { numRuns: 150 },
      )
    })
  })
})
