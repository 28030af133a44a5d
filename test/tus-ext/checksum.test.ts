import { createHash } from 'node:crypto'
import { crc32 } from 'node:zlib'
import { runHttpCases, type HttpCase } from '../support/http-cases.js'
import { OFFSET_OCTET_STREAM, TUS, UPLOAD_ID } from '../support/tus.js'

const PATCH = { ...TUS, 'content-type': OFFSET_OCTET_STREAM, 'upload-offset': '0' }
const digest = (algorithm: string, text: string): string => createHash(algorithm).update(text).digest('base64')
const crc32Of = (text: string): string => {
  const bytes = Buffer.alloc(4)
  bytes.writeUInt32BE(crc32(text) >>> 0)
  return bytes.toString('base64')
}
// The tus specification's own example: sha1 of "hello world".
const SHA1_HELLO = 'Kq5sNclPz7QV2+lfQIuc6R7oRu0='

// Extension checksum (T-42 to T-46): Upload-Checksum on PATCH and on creation-with-upload.
const cases: HttpCase[] = [
  {
    name: '[T-43] [T-46] a PATCH whose bytes match Upload-Checksum gets 204 and moves the offset',
    given: { length: 11 },
    method: 'PATCH',
    headers: { ...PATCH, 'upload-checksum': `sha1 ${SHA1_HELLO}` },
    body: 'hello world',
    status: 204,
    responseHeaders: { 'upload-offset': '11' },
    upload: { offset: 11 },
  },
  ...(['md5', 'sha256', 'sha512'] as const).map(
    (algorithm): HttpCase => ({
      name: `[T-43] a PATCH checked with ${algorithm} gets 204`,
      given: { length: 11 },
      method: 'PATCH',
      headers: { ...PATCH, 'upload-checksum': `${algorithm} ${digest(algorithm, 'hello world')}` },
      body: 'hello world',
      status: 204,
      upload: { offset: 11 },
    }),
  ),
  {
    name: '[T-43] a PATCH checked with crc32 (4 bytes, big-endian) gets 204',
    given: { length: 11 },
    method: 'PATCH',
    headers: { ...PATCH, 'upload-checksum': `crc32 ${crc32Of('hello world')}` },
    body: 'hello world',
    status: 204,
    upload: { offset: 11 },
  },
  {
    name: '[T-43] a PATCH whose bytes do not match gets 460; the chunk is discarded and the offset stays',
    given: { length: 11 },
    method: 'PATCH',
    headers: { ...PATCH, 'upload-checksum': `sha1 ${SHA1_HELLO}` },
    body: 'hello worlx',
    status: 460,
    responseHeaders: { 'upload-offset': null },
    bodyContains: 'sha1',
    upload: { offset: 0 },
  },
  {
    name: '[T-43] a mismatch discards only this request: the bytes of earlier requests stay',
    given: { length: 11, data: 'hello' },
    method: 'PATCH',
    headers: { ...PATCH, 'upload-offset': '5', 'upload-checksum': `sha1 ${digest('sha1', ' world')}` },
    body: ' worlx',
    status: 460,
    upload: { offset: 5 },
  },
  // A body announced too large is refused before it is read; one of unannounced size is cut at the limit.
  {
    name: '[T-43] a checked body that goes past the upload length gets 413 and counts for nothing',
    given: { length: 4 },
    method: 'PATCH',
    headers: { ...PATCH, 'upload-checksum': `sha1 ${SHA1_HELLO}` },
    body: 'hello world',
    status: 413,
    upload: { offset: 0 },
  },
  {
    name: '[T-43] [T-44] an algorithm the server does not support gets 400 naming the header; nothing is stored',
    given: { length: 11 },
    method: 'PATCH',
    headers: { ...PATCH, 'upload-checksum': `sha3 ${SHA1_HELLO}` },
    body: 'hello world',
    status: 400,
    bodyContains: 'Upload-Checksum',
    upload: { offset: 0 },
  },
  {
    name: '[T-44] algorithm names are lowercase: SHA1 is not sha1',
    given: { length: 11 },
    method: 'PATCH',
    headers: { ...PATCH, 'upload-checksum': `SHA1 ${SHA1_HELLO}` },
    body: 'hello world',
    status: 400,
    bodyContains: 'Upload-Checksum',
    upload: { offset: 0 },
  },
  ...['sha1', `sha1:${SHA1_HELLO}`, `sha1 ${SHA1_HELLO} x`, 'sha1 ***', `md5 ${SHA1_HELLO}`, `sha1 ${SHA1_HELLO.slice(0, -4)}`].map(
    (value): HttpCase => ({
      name: `[T-46] a malformed Upload-Checksum ("${value}") gets 400 naming the header; nothing is stored`,
      given: { length: 11 },
      method: 'PATCH',
      headers: { ...PATCH, 'upload-checksum': value },
      body: 'hello world',
      status: 400,
      bodyContains: 'Upload-Checksum',
      upload: { offset: 0 },
    }),
  ),
  {
    name: '[T-43] a creation with upload checks its bytes: a match stores them',
    method: 'POST',
    headers: { ...TUS, 'upload-length': '11', 'content-type': OFFSET_OCTET_STREAM, 'upload-checksum': `sha1 ${SHA1_HELLO}` },
    body: 'hello world',
    status: 201,
    responseHeaders: { 'upload-offset': '11' },
  },
  {
    name: '[T-43] a creation with upload whose bytes do not match gets 460, with the Location of the upload it created, at offset 0',
    method: 'POST',
    headers: { ...TUS, 'upload-length': '11', 'content-type': OFFSET_OCTET_STREAM, 'upload-checksum': `sha1 ${SHA1_HELLO}` },
    body: 'hello worlx',
    status: 460,
    responseHeaders: { location: new RegExp(`/files/${UPLOAD_ID}$`) },
    upload: { offset: 0, length: 11 },
  },
  {
    name: '[T-46] a creation with a malformed Upload-Checksum gets 400 and creates nothing',
    method: 'POST',
    headers: { ...TUS, 'upload-length': '11', 'content-type': OFFSET_OCTET_STREAM, 'upload-checksum': 'sha1' },
    body: 'hello world',
    status: 400,
    responseHeaders: { location: null },
  },
]

runHttpCases(cases)
