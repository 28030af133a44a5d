import { runHttpCases, type HttpCase } from '../support/http-cases.js'
import { OFFSET_OCTET_STREAM, TUS } from '../support/tus.js'

// Request paths that name no upload of ours: never a file path, never the `.info` file, always 404.
const NOT_OURS = [
  '{base}..%2F..',
  '{base}..%2F{upload}.info',
  '{base}%2F',
  '{base}%2e%2e',
  '{base}%00',
  '{base}a.info',
  '{upload}.info',
  '{upload}/extra',
  '{upload}/',
  '{upload}%00',
  '{base}a%20b',
  '/elsewhere',
]

const requests = [
  { method: 'HEAD', headers: TUS },
  { method: 'GET', headers: {} },
  { method: 'PATCH', headers: { ...TUS, 'content-type': OFFSET_OCTET_STREAM, 'upload-offset': '0' }, body: 'x' },
  { method: 'DELETE', headers: TUS },
]

const cases: HttpCase[] = [
  {
    name: '[T-12] HEAD of a well-formed but unknown id answers 404',
    method: 'HEAD',
    path: '{base}ffffffffffffffffffffffffffffffff',
    headers: TUS,
    status: 404,
    responseHeaders: { 'upload-offset': null },
  },
  ...NOT_OURS.flatMap((path) =>
    requests.map(
      (request): HttpCase => ({
        name: `[T-12] [T-19] ${request.method} ${path} names no upload: 404, and the upload beside it is untouched`,
        given: { length: 3, data: 'abc' },
        path,
        ...request,
        status: 404,
        responseHeaders: { 'upload-offset': null },
        upload: { offset: 3, length: 3 },
      }),
    ),
  ),
]

runHttpCases(cases)
