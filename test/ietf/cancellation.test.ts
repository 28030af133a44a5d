import { completeness, draft, runDraftCases, versions, type DraftCase } from './draft-cases.js'

const cases: DraftCase[] = [
  {
    name: '[R-65] [R-68] DELETE cancels the upload: 204, and it is gone',
    given: { data: 'abc' },
    request: (v, upload) => ({ method: 'DELETE', url: upload!, headers: draft(v) }),
    expect: () => ({ status: 204 }),
    after: () => ({ gone: true }),
  },
  {
    name: '[R-65] DELETE cancels a completed upload too',
    given: { data: 'abc', complete: true },
    request: (v, upload) => ({ method: 'DELETE', url: upload!, headers: draft(v) }),
    expect: () => ({ status: 204 }),
    after: () => ({ gone: true }),
  },
  {
    name: '[R-68] DELETE of an upload that does not exist is 404',
    request: (v, _upload, base) => ({ method: 'DELETE', url: `${base}${'f'.repeat(32)}`, headers: draft(v) }),
    expect: () => ({ status: 404, problem: null }),
  },
  {
    name: '[R-68] up to -05 a DELETE carrying Upload-Offset or the completeness field is refused with 400',
    versions: versions(3, 6),
    given: { data: 'abc' },
    request: (v, upload) => ({ method: 'DELETE', url: upload!, headers: draft(v, { 'upload-offset': '3', ...completeness(v, false) }) }),
    expect: () => ({ status: 400, problem: null }),
    after: () => ({ offset: 3 }),
  },
  {
    name: '[R-68] from -06 upload fields on a DELETE are not looked at',
    versions: versions(7),
    given: { data: 'abc' },
    request: (v, upload) => ({ method: 'DELETE', url: upload!, headers: draft(v, { 'upload-offset': '3' }) }),
    expect: () => ({ status: 204 }),
    after: () => ({ gone: true }),
  },
]

runDraftCases(cases)
