import { appendHeaders, appendStatus, completeness, completenessName, draft, failureFields, PARTIAL_UPLOAD, runDraftCases, versions, type DraftCase } from './draft-cases.js'
import { UPLOAD_ID } from '../support/tus.js'

const incompleteStatus = (v: number): number => appendStatus(v, false)
const completeStatus = (v: number): number => appendStatus(v, true)

const cases: DraftCase[] = [
  {
    name: '[R-53] [R-59] [R-63] [R-87] an append that does not complete answers the new offset (old offset + content) and "not complete"',
    given: { data: 'abc' },
    request: (v, upload) => ({ method: 'PATCH', url: upload!, headers: appendHeaders(v, 3, false), body: 'defg' }),
    expect: (v) => ({ status: incompleteStatus(v), headers: { 'upload-offset': '7', ...completeness(v, false) } }),
    after: () => ({ offset: 7, complete: false }),
  },
  {
    name: '[R-58] [R-09] an append with "complete" completes the upload and records its length',
    given: { data: 'abc' },
    request: (v, upload) => ({ method: 'PATCH', url: upload!, headers: appendHeaders(v, 3, true), body: 'defg' }),
    // The upload's Location too, as servers of the URLSession era sent (spec/notes.md §6.2).
    expect: (v) => ({ status: completeStatus(v), headers: { 'upload-offset': '7', ...completeness(v, true), location: new RegExp(`/files/${UPLOAD_ID}$`) } }),
    after: () => ({ offset: 7, complete: true, length: 7 }),
  },
  {
    name: '[R-41] [R-58] [R-73] an empty append (an empty partial-upload document) with "complete" completes the upload at its offset',
    given: { data: 'abc' },
    request: (v, upload) => ({ method: 'PATCH', url: upload!, headers: appendHeaders(v, 3, true) }),
    expect: (v) => ({ status: completeStatus(v), headers: { 'upload-offset': '3', ...completeness(v, true) } }),
    after: () => ({ offset: 3, complete: true, length: 3 }),
  },
  {
    name: '[R-64] a chunked append (no Content-Length) stores every byte',
    given: { data: 'abc' },
    request: (v, upload) => ({ method: 'PATCH', url: upload!, headers: appendHeaders(v, 3, false), body: chunks(['de', 'fg', 'hi']) }),
    expect: (v) => ({ status: incompleteStatus(v), headers: { 'upload-offset': '9' } }),
    after: () => ({ offset: 9, complete: false }),
  },
  {
    name: '[R-56] [R-57] [R-51] an append at the wrong offset is 409 with the right offset, "not complete" and both offsets; nothing changes',
    given: { data: 'abc' },
    request: (v, upload) => ({ method: 'PATCH', url: upload!, headers: appendHeaders(v, 1, false), body: 'xy' }),
    expect: (v) => ({
      status: 409,
      // The problem type exists from -04 (interop 6).
      problem: v >= 6 ? 'mismatching-upload-offset' : null,
      members: v >= 6 ? { 'expected-offset': 3, 'provided-offset': 1 } : {},
      headers: { 'upload-offset': '3', ...completeness(v, false) },
    }),
    after: () => ({ offset: 3, complete: false }),
  },
  {
    name: '[R-53] from -04 an append must be application/partial-upload: 415 with Accept-Patch otherwise',
    versions: versions(6),
    given: { data: 'abc' },
    request: (v, upload) => ({
      method: 'PATCH',
      url: upload!,
      headers: appendHeaders(v, 3, false, { 'content-type': 'application/offset+octet-stream' }),
      body: 'de',
    }),
    expect: (v) => ({ status: 415, problem: null, headers: { 'accept-patch': PARTIAL_UPLOAD, ...failureFields(v, { offset: 3, complete: false }) } }),
    after: () => ({ offset: 3 }),
  },
  {
    name: '[R-53] up to -03 the media type of an append is not looked at',
    versions: versions(3, 5),
    given: { data: 'abc' },
    request: (v, upload) => ({
      method: 'PATCH',
      url: upload!,
      headers: appendHeaders(v, 3, false, { 'content-type': 'application/offset+octet-stream' }),
      body: 'de',
    }),
    expect: (v) => ({ status: incompleteStatus(v), headers: { 'upload-offset': '5' } }),
  },
  {
    name: '[R-54] up to -05 an append without the completeness field is the last one',
    versions: versions(3, 6),
    given: { data: 'abc' },
    request: (v, upload) => ({
      method: 'PATCH',
      url: upload!,
      headers: draft(v, { 'content-type': PARTIAL_UPLOAD, 'upload-offset': '3' }),
      body: 'de',
    }),
    expect: (v) => ({ status: completeStatus(v), headers: { 'upload-offset': '5', ...completeness(v, true) } }),
    after: () => ({ offset: 5, complete: true }),
  },
  {
    name: '[R-54] from -06 an append must carry Upload-Complete: 400 otherwise',
    versions: versions(7),
    given: { data: 'abc' },
    request: (v, upload) => ({
      method: 'PATCH',
      url: upload!,
      headers: draft(v, { 'content-type': PARTIAL_UPLOAD, 'upload-offset': '3' }),
      body: 'de',
    }),
    expect: () => ({ status: 400, problem: null }),
    after: () => ({ offset: 3, complete: false }),
  },
  {
    name: '[R-54] an append without Upload-Offset is 400',
    given: { data: 'abc' },
    request: (v, upload) => ({ method: 'PATCH', url: upload!, headers: draft(v, { 'content-type': PARTIAL_UPLOAD, ...completeness(v, false) }), body: 'de' }),
    expect: (v) => ({ status: 400, problem: null, headers: failureFields(v, { offset: 3, complete: false }) }),
    after: () => ({ offset: 3 }),
  },
  {
    name: '[R-60] an append to a completed upload: a valid one (empty, at the final offset, "complete") replays the completing answer',
    versions: [3, 4, 5, 9, 10],
    given: { data: 'abc', complete: true },
    request: (v, upload) => ({ method: 'PATCH', url: upload!, headers: appendHeaders(v, 3, true) }),
    expect: (v) => ({ status: completeStatus(v), headers: { 'upload-offset': '3', ...completeness(v, true) } }),
    after: () => ({ offset: 3, complete: true }),
  },
  {
    name: '[R-60] [R-75] -04 to -09: an append to a completed upload is refused with 400 completed-upload and changes nothing',
    versions: [6, 7],
    given: { data: 'abc', complete: true },
    request: (v, upload) => ({ method: 'PATCH', url: upload!, headers: appendHeaders(v, 3, true) }),
    expect: (v) => ({ status: 400, problem: 'completed-upload', headers: failureFields(v, { offset: 3, complete: true }) }),
    after: () => ({ offset: 3, complete: true }),
  },
  {
    name: '[R-60] [R-75] -10/-11: an empty append to a completed upload is 410 completed-upload with the upload\'s Location',
    versions: [8],
    given: { data: 'abc', complete: true },
    request: (v, upload) => ({ method: 'PATCH', url: upload!, headers: appendHeaders(v, 3, true) }),
    expect: () => ({ status: 410, problem: 'completed-upload', headers: { location: new RegExp(`/files/${UPLOAD_ID}$`) } }),
    after: () => ({ offset: 3, complete: true }),
  },
  {
    name: '[R-60] content appended to a completed upload is an inconsistent length (-10 on), refused without changing it',
    given: { data: 'abc', complete: true },
    request: (v, upload) => ({ method: 'PATCH', url: upload!, headers: appendHeaders(v, 3, true), body: 'more' }),
    expect: (v) => ({
      status: 400,
      problem: v === 6 || v === 7 ? 'completed-upload' : v >= 8 ? 'inconsistent-upload-length' : null,
      headers: failureFields(v, { offset: 3, complete: true }),
    }),
    after: () => ({ offset: 3, complete: true }),
  },
  {
    name: '[R-60] [R-09] [R-64] chunked content appended to a completed upload is refused and leaves it complete',
    given: { data: 'abc', complete: true },
    request: (v, upload) => ({ method: 'PATCH', url: upload!, headers: appendHeaders(v, 3, true), body: chunks(['x', 'y']) }),
    expect: (v) => ({
      status: 400,
      problem: v === 6 || v === 7 ? 'completed-upload' : v >= 8 ? 'inconsistent-upload-length' : null,
      headers: failureFields(v, { offset: 3, complete: true }),
    }),
    after: () => ({ offset: 3, complete: true }),
  },
  {
    name: '[R-60] [R-64] -10/-11: an empty chunked append to a completed upload is 410 completed-upload too',
    versions: [8],
    given: { data: 'abc', complete: true },
    request: (v, upload) => ({ method: 'PATCH', url: upload!, headers: appendHeaders(v, 3, true), body: chunks([]) }),
    expect: () => ({ status: 410, problem: 'completed-upload', headers: { location: new RegExp(`/files/${UPLOAD_ID}$`) } }),
    after: () => ({ offset: 3, complete: true }),
  },
  {
    name: '[R-60] [R-64] an empty chunked append that could have completed the upload replays the completing answer',
    versions: [3, 4, 5, 9, 10],
    given: { data: 'abc', complete: true },
    request: (v, upload) => ({ method: 'PATCH', url: upload!, headers: appendHeaders(v, 3, true), body: chunks([]) }),
    expect: (v) => ({ status: completeStatus(v), headers: { 'upload-offset': '3', ...completeness(v, true) } }),
    after: () => ({ offset: 3, complete: true }),
  },
  {
    name: '[R-59] up to -05 a refused append still carries the upload\'s Upload-Offset and state; from -06 Upload-Complete: ?0',
    given: { data: 'abc' },
    request: (v, upload) => ({ method: 'PATCH', url: upload!, headers: appendHeaders(v, 3, false, { [completenessName(v)]: 'maybe' }), body: 'de' }),
    expect: (v) => ({ status: 400, problem: null, headers: failureFields(v, { offset: 3, complete: false }) }),
    after: () => ({ offset: 3, complete: false }),
  },
  {
    name: '[R-61] -04/-05: content past Upload-Length is refused with 400; the upload stays, stopped at its length',
    versions: [6],
    given: { length: 5, data: 'abc' },
    request: (v, upload) => ({ method: 'PATCH', url: upload!, headers: appendHeaders(v, 3, false), body: chunks(['de', 'fg']) }),
    expect: (v) => ({ status: 400, problem: null, headers: failureFields(v, { offset: 5, complete: false }) }),
    after: () => ({ offset: 5, complete: false, length: 5 }),
  },
  {
    name: '[R-61] [R-74] from -06 content past Upload-Length is refused (inconsistent-upload-length) and the upload is invalidated (no further interaction)',
    versions: versions(7),
    given: { length: 5, data: 'abc' },
    request: (v, upload) => ({ method: 'PATCH', url: upload!, headers: appendHeaders(v, 3, false), body: chunks(['de', 'fg']) }),
    expect: (v) => ({ status: 400, problem: 'inconsistent-upload-length', headers: { ...completeness(v, false) } }),
    after: () => ({ gone: true }),
  },
  {
    name: '[R-13] a "complete" append whose Content-Length ends elsewhere than the recorded length is an inconsistent length',
    versions: versions(6),
    given: { length: 10, data: 'abc' },
    request: (v, upload) => ({ method: 'PATCH', url: upload!, headers: appendHeaders(v, 3, true), body: 'de' }),
    expect: (v) => ({ status: 400, problem: v >= 7 ? 'inconsistent-upload-length' : null }),
    // From -06 the upload is invalidated; -05 keeps it untouched.
    after: (v) => (v >= 7 ? { gone: true } : { offset: 3, complete: false, length: 10 }),
  },
  {
    name: '[R-13] an append\'s Upload-Length that differs from the recorded one is an inconsistent length',
    versions: versions(6),
    given: { length: 10, data: 'abc' },
    request: (v, upload) => ({ method: 'PATCH', url: upload!, headers: appendHeaders(v, 3, false, { 'upload-length': '12' }), body: 'de' }),
    expect: (v) => ({ status: 400, problem: v >= 7 ? 'inconsistent-upload-length' : null }),
    after: (v) => (v >= 7 ? { gone: true } : { offset: 3, length: 10 }),
  },
  {
    name: '[R-13] an append whose own Upload-Length and "complete" Content-Length disagree is refused before it touches the upload',
    versions: versions(6),
    given: { length: 4, data: 'ab' },
    request: (v, upload) => ({ method: 'PATCH', url: upload!, headers: appendHeaders(v, 2, true, { 'upload-length': '5' }), body: 'cd' }),
    expect: (v) => ({ status: 400, problem: v >= 7 ? 'inconsistent-upload-length' : null }),
    after: () => ({ offset: 2, complete: false, length: 4 }),
  },
  {
    name: '[R-12] [R-61] an append may declare the length later; it is then recorded',
    versions: versions(6),
    given: { data: 'abc' },
    request: (v, upload) => ({ method: 'PATCH', url: upload!, headers: appendHeaders(v, 3, false, { 'upload-length': '8' }), body: 'de' }),
    expect: (v) => ({ status: incompleteStatus(v), headers: { 'upload-offset': '5' } }),
    after: () => ({ offset: 5, complete: false, length: 8 }),
  },
  {
    name: 'T-09 applies to draft clients too: POST with X-HTTP-Method-Override: PATCH appends',
    given: { data: 'abc' },
    request: (v, upload) => ({
      method: 'POST',
      url: upload!,
      headers: appendHeaders(v, 3, false, { 'x-http-method-override': 'PATCH' }),
      body: 'de',
    }),
    expect: (v) => ({ status: incompleteStatus(v), headers: { 'upload-offset': '5' } }),
    after: () => ({ offset: 5 }),
  },
  {
    name: '[R-05] an append to an upload that does not exist is 404',
    request: (v, _upload, base) => ({ method: 'PATCH', url: `${base}${'0'.repeat(32)}`, headers: appendHeaders(v, 0, false), body: 'a' }),
    expect: (v) => ({ status: 404, problem: null, headers: failureFields(v) }),
  },
]

runDraftCases(cases)

async function* chunks(parts: string[]): AsyncGenerator<Uint8Array> {
  for (const part of parts) {
    yield Buffer.from(part)
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
}
