import { rm } from 'node:fs/promises'
import { join } from 'node:path'
import { expect, it } from 'vitest'
import { storeReplaced } from '../support/gateway.js'
import { idOf, pathOf } from '../support/tus.js'
import {
  appendHeaders,
  appendStatus,
  completeness,
  createDraftUpload,
  draft,
  eachDraftTransport,
  retrieveOffset,
  runDraftCases,
  versions,
  type DraftCase,
} from './draft-cases.js'

const cases: DraftCase[] = [
  {
    name: '[R-44] [R-45] [R-48] [R-52] HEAD answers 204 with the offset, the completeness and Cache-Control: no-store',
    given: { data: 'abcdef' },
    request: (v, upload) => ({ method: 'HEAD', url: upload!, headers: draft(v) }),
    expect: (v) => ({
      status: 204,
      headers: { 'upload-offset': '6', ...completeness(v, false), 'cache-control': 'no-store', 'upload-length': null },
    }),
  },
  {
    name: '[R-46] [R-47] from -05 HEAD carries the recorded Upload-Length and the limits',
    versions: versions(6),
    given: { length: 50, data: 'abc' },
    request: (v, upload) => ({ method: 'HEAD', url: upload!, headers: draft(v) }),
    expect: () => ({ status: 204, headers: { 'upload-offset': '3', 'upload-length': '50', 'upload-limit': 'min-size=0' } }),
  },
  {
    name: '[R-47] before -04 there is no Upload-Limit field, and no Upload-Length before -05',
    versions: versions(3, 5),
    given: { data: 'abc', complete: true },
    request: (v, upload) => ({ method: 'HEAD', url: upload!, headers: draft(v) }),
    expect: (v) => ({ status: 204, headers: { 'upload-limit': null, 'upload-length': null, ...completeness(v, true) } }),
  },
  {
    name: '[R-45] [R-02] HEAD of a completed upload says complete: the upload resource stays available after completion',
    given: { data: 'abc', complete: true },
    request: (v, upload) => ({ method: 'HEAD', url: upload!, headers: draft(v) }),
    expect: (v) => ({ status: 204, headers: { 'upload-offset': '3', ...completeness(v, true) } }),
  },
  {
    name: '[R-14] [R-09] reaching the length does not complete an upload: only a request with "complete" does',
    versions: versions(6),
    given: { length: 6 },
    request: (v, upload) => ({ method: 'PATCH', url: upload!, headers: appendHeaders(v, 0, false), body: 'abcdef' }),
    expect: (v) => ({ status: appendStatus(v, false), headers: { 'upload-offset': '6', ...completeness(v, false) } }),
    after: () => ({ offset: 6, complete: false, length: 6 }),
  },
  {
    name: '[R-50] from -12 GET retrieves the offset like HEAD',
    versions: versions(9),
    given: { data: 'abcd' },
    request: (v, upload) => ({ method: 'GET', url: upload!, headers: draft(v) }),
    expect: (v) => ({ status: 204, headers: { 'upload-offset': '4', ...completeness(v, false), 'cache-control': 'no-store' } }),
  },
  {
    name: '[R-50] before -12 GET is not an offset retrieval: 405 with Allow',
    versions: versions(3, 8),
    given: { data: 'abcd' },
    request: (v, upload) => ({ method: 'GET', url: upload!, headers: draft(v) }),
    expect: () => ({ status: 405, problem: null, headers: { allow: 'HEAD, PATCH, DELETE, OPTIONS' } }),
  },
  {
    name: '[R-52] up to -05 a HEAD carrying Upload-Offset is refused with 400',
    versions: versions(3, 6),
    given: { data: 'abcd' },
    request: (v, upload) => ({ method: 'HEAD', url: upload!, headers: draft(v, { 'upload-offset': '4' }) }),
    expect: () => ({ status: 400 }),
  },
  {
    name: '[R-52] up to -05 a HEAD carrying the completeness field is refused with 400',
    versions: versions(3, 6),
    given: { data: 'abcd' },
    request: (v, upload) => ({ method: 'HEAD', url: upload!, headers: draft(v, completeness(v, false)) }),
    expect: () => ({ status: 400 }),
  },
  {
    name: '[R-52] -05 also refuses a HEAD carrying Upload-Length',
    versions: [6],
    given: { data: 'abcd' },
    request: (v, upload) => ({ method: 'HEAD', url: upload!, headers: draft(v, { 'upload-length': '4' }) }),
    expect: () => ({ status: 400 }),
  },
  {
    name: '[R-52] from -06 upload fields on a HEAD are simply not looked at',
    versions: versions(7),
    given: { data: 'abcd' },
    request: (v, upload) => ({ method: 'HEAD', url: upload!, headers: draft(v, { 'upload-offset': '9', ...completeness(v, true) }) }),
    expect: () => ({ status: 204, headers: { 'upload-offset': '4' } }),
  },
  {
    name: '[R-05] [R-52] HEAD of an upload that does not exist is 404',
    request: (v, _upload, base) => ({ method: 'HEAD', url: `${base}${'0'.repeat(32)}`, headers: draft(v) }),
    expect: () => ({ status: 404, headers: { 'upload-offset': null } }),
  },
]

runDraftCases(cases)

eachDraftTransport({}, (context) => {
  // Looks inside the file store (removes its data file): skipped when the suite runs on another store (test/s3/).
  it.skipIf(storeReplaced())('[R-05] an upload whose stored state is lost in part (its data file) is no longer served: 404', async () => {
    const { client, gateway } = context()
    const url = pathOf(await createDraftUpload(client, gateway.basePath, 8, { data: 'abc' }))
    await rm(join(gateway.uploadDir, idOf(url)))
    expect((await retrieveOffset(client, url, 8)).status).toBe(404)
    const append = await client.request({ method: 'PATCH', url, headers: appendHeaders(8, 3, true), body: 'd' })
    expect(append.status).toBe(404)
  })
})
