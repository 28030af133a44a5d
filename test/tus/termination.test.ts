import { runHttpCases, type HttpCase } from '../support/http-cases.js'
import { OFFSET_OCTET_STREAM, TUS } from '../support/tus.js'

// Extension termination.
const cases: HttpCase[] = [
  {
    name: '[T-48] OPTIONS lists termination',
    method: 'OPTIONS',
    status: 200,
    responseHeaders: { 'tus-extension': /(^|,)termination(,|$)/ },
  },
  {
    name: '[T-49] DELETE of an unfinished upload answers 204 and the upload is gone',
    given: { length: 10, data: 'abc' },
    method: 'DELETE',
    headers: TUS,
    status: 204,
    upload: { gone: true },
  },
  {
    name: '[T-49] DELETE of a finished upload answers 204 and the upload is gone',
    given: { length: 3, data: 'abc' },
    method: 'DELETE',
    headers: TUS,
    status: 204,
    upload: { gone: true },
  },
  {
    name: '[T-49] DELETE of a deferred upload answers 204',
    given: {},
    method: 'DELETE',
    headers: TUS,
    status: 204,
    upload: { gone: true },
  },
  {
    name: '[T-49] [T-12] HEAD of a terminated upload answers 404 without Upload-Offset',
    given: { length: 10, data: 'abc' },
    givenTerminated: true,
    method: 'HEAD',
    headers: TUS,
    status: 404,
    responseHeaders: { 'upload-offset': null },
  },
  {
    name: '[T-49] [T-19] PATCH of a terminated upload answers 404',
    given: { length: 10, data: 'abc' },
    givenTerminated: true,
    method: 'PATCH',
    headers: { ...TUS, 'content-type': OFFSET_OCTET_STREAM, 'upload-offset': '3' },
    body: 'def',
    status: 404,
  },
  {
    name: '[T-49] GET of a terminated upload answers 404',
    given: { length: 3, data: 'abc' },
    givenTerminated: true,
    method: 'GET',
    status: 404,
  },
  {
    name: '[T-49] a second DELETE answers 404',
    given: { length: 3 },
    givenTerminated: true,
    method: 'DELETE',
    headers: TUS,
    status: 404,
  },
  {
    name: 'DELETE of an unknown upload answers 404',
    method: 'DELETE',
    path: '{base}0123456789abcdef0123456789abcdef',
    headers: TUS,
    status: 404,
  },
  {
    name: '[T-06] DELETE without Tus-Resumable gets 412 and keeps the upload',
    given: { length: 3 },
    method: 'DELETE',
    status: 412,
    responseHeaders: { 'tus-version': '1.0.0' },
    upload: { offset: 0 },
  },
]

runHttpCases(cases)
