import { runHttpCases, type HttpCase } from '../support/http-cases.js'
import { UPLOAD_ID } from '../support/tus.js'

const b64 = (text: string): string => Buffer.from(text, 'utf8').toString('base64')
const meta = (filename: string, filetype?: string): string =>
  filetype === undefined ? `filename ${b64(filename)}` : `filename ${b64(filename)},filetype ${b64(filetype)}`
const FINISHED = { length: 11, data: 'hello world' }

// GET of an upload: the finished file, byte ranges, and headers that keep a browser safe.
const cases: HttpCase[] = [
  {
    name: 'GET of a finished upload answers 200 with its bytes, length, Accept-Ranges and a strong ETag',
    given: FINISHED,
    method: 'GET',
    status: 200,
    responseHeaders: { 'content-length': '11', 'accept-ranges': 'bytes', etag: new RegExp(`^"${UPLOAD_ID}-11"$`) },
    bodyContains: 'hello world',
  },
  {
    name: '[T-30] GET of a zero-length upload answers 200 with an empty body',
    given: { length: 0 },
    method: 'GET',
    status: 200,
    responseHeaders: { 'content-length': '0' },
  },
  {
    name: 'Range bytes=0-4 answers 206 with Content-Range and those bytes',
    given: FINISHED,
    method: 'GET',
    headers: { range: 'bytes=0-4' },
    status: 206,
    responseHeaders: { 'content-range': 'bytes 0-4/11', 'content-length': '5' },
    bodyContains: 'hello',
  },
  {
    name: 'a suffix Range bytes=-5 answers 206 with the last five bytes',
    given: FINISHED,
    method: 'GET',
    headers: { range: 'bytes=-5' },
    status: 206,
    responseHeaders: { 'content-range': 'bytes 6-10/11', 'content-length': '5' },
    bodyContains: 'world',
  },
  {
    name: 'an open Range bytes=6- answers 206 up to the end',
    given: FINISHED,
    method: 'GET',
    headers: { range: 'bytes=6-' },
    status: 206,
    responseHeaders: { 'content-range': 'bytes 6-10/11' },
    bodyContains: 'world',
  },
  {
    name: 'a Range past the end is cut to the size',
    given: FINISHED,
    method: 'GET',
    headers: { range: 'bytes=3-100' },
    status: 206,
    responseHeaders: { 'content-range': 'bytes 3-10/11', 'content-length': '8' },
    bodyContains: 'lo world',
  },
  {
    name: 'an unsatisfiable Range answers 416 with Content-Range: bytes */size',
    given: FINISHED,
    method: 'GET',
    headers: { range: 'bytes=11-' },
    status: 416,
    responseHeaders: { 'content-range': 'bytes */11' },
  },
  {
    name: 'a zero-length suffix Range answers 416',
    given: FINISHED,
    method: 'GET',
    headers: { range: 'bytes=-0' },
    status: 416,
    responseHeaders: { 'content-range': 'bytes */11' },
  },
  {
    name: 'several ranges are ignored: the whole upload is served',
    given: FINISHED,
    method: 'GET',
    headers: { range: 'bytes=0-1,4-5' },
    status: 200,
    responseHeaders: { 'content-range': null, 'content-length': '11' },
  },
  {
    name: 'If-Range with the current ETag honours the Range',
    given: FINISHED,
    method: 'GET',
    headers: { range: 'bytes=0-4', 'if-range': '"{id}-11"' },
    status: 206,
    responseHeaders: { 'content-range': 'bytes 0-4/11' },
  },
  {
    name: 'If-Range with another ETag ignores the Range and serves the whole upload',
    given: FINISHED,
    method: 'GET',
    headers: { range: 'bytes=0-4', 'if-range': '"something-else"' },
    status: 200,
    responseHeaders: { 'content-range': null, 'content-length': '11' },
    bodyContains: 'hello world',
  },
  {
    name: 'GET of an unfinished upload answers 409 saying it is not finished',
    given: { length: 11, data: 'hello' },
    method: 'GET',
    status: 409,
    bodyContains: 'not finished: 5 of 11 bytes',
  },
  {
    name: 'GET of an upload whose length is still deferred answers 409',
    given: { data: 'hello' },
    method: 'GET',
    status: 409,
    bodyContains: 'not finished',
  },
  {
    name: 'text/plain with a filename is served inline under that name',
    given: { ...FINISHED, metadata: meta('hello.txt', 'text/plain') },
    method: 'GET',
    status: 200,
    responseHeaders: {
      'content-type': 'text/plain',
      'content-disposition': `inline; filename="hello.txt"; filename*=UTF-8''hello.txt`,
    },
  },
  {
    name: 'an image is served inline',
    given: { ...FINISHED, metadata: meta('photo.png', 'image/png') },
    method: 'GET',
    status: 200,
    responseHeaders: { 'content-type': 'image/png', 'content-disposition': /^inline; filename="photo\.png"/ },
  },
  {
    name: 'text/html is served as an attachment, never rendered in our origin',
    given: { ...FINISHED, metadata: meta('page.html', 'text/html') },
    method: 'GET',
    status: 200,
    responseHeaders: {
      'content-type': 'text/html',
      'content-disposition': /^attachment; filename="page\.html"/,
      'content-security-policy': /sandbox/,
    },
  },
  {
    name: 'image/svg+xml is served as an attachment (it can carry script)',
    given: { ...FINISHED, metadata: meta('logo.svg', 'image/svg+xml') },
    method: 'GET',
    status: 200,
    responseHeaders: { 'content-disposition': /^attachment; filename="logo\.svg"/ },
  },
  {
    name: 'without filetype the download is application/octet-stream, as an attachment',
    given: { ...FINISHED, metadata: meta('data.bin') },
    method: 'GET',
    status: 200,
    responseHeaders: { 'content-type': 'application/octet-stream', 'content-disposition': /^attachment; / },
  },
  {
    name: 'without metadata the download is an attachment without a filename',
    given: FINISHED,
    method: 'GET',
    status: 200,
    responseHeaders: { 'content-disposition': 'attachment' },
  },
  {
    name: 'a non-ASCII filename is sent as RFC 8187 filename* with an ASCII fallback',
    given: { ...FINISHED, metadata: meta('résumé €.txt', 'text/plain') },
    method: 'GET',
    status: 200,
    responseHeaders: {
      'content-disposition': `inline; filename="r_sum_ _.txt"; filename*=UTF-8''r%C3%A9sum%C3%A9%20%E2%82%AC.txt`,
    },
  },
  {
    name: '[T-32] a filename with CR LF and quotes cannot inject headers or break out of the parameter',
    given: { ...FINISHED, metadata: meta('a"\r\nX-Injected: yes.txt', 'text/plain') },
    method: 'GET',
    status: 200,
    responseHeaders: {
      'x-injected': null,
      'content-disposition': `inline; filename="a___X-Injected: yes.txt"; filename*=UTF-8''a%22%0D%0AX-Injected%3A%20yes.txt`,
    },
  },
  {
    name: '[T-32] a filetype that is not a media type is not used as Content-Type',
    given: { ...FINISHED, metadata: `filetype ${b64('text/html\r\nX-Injected: yes')}` },
    method: 'GET',
    status: 200,
    responseHeaders: { 'x-injected': null, 'content-type': 'application/octet-stream' },
  },
]

runHttpCases(cases)
