import { describe } from 'vitest'
import { runHttpCases, type HttpCase } from '../support/http-cases.js'
import { TUS } from '../support/tus.js'

const ID = '[0-9a-f]{32}'
const CREATE = { ...TUS, 'upload-length': '3' }
const OWN_HTTP = new RegExp(`^http://127\\.0\\.0\\.1:\\d+/files/${ID}$`)
const OWN_HTTPS = new RegExp(`^https://127\\.0\\.0\\.1:\\d+/files/${ID}$`)

// Location of a new upload (T-35): absolute, built from what the client used to reach us.
const direct: HttpCase[] = [
  {
    name: '[T-35] over HTTP/1.1 Location is built from Host',
    method: 'POST',
    headers: CREATE,
    status: 201,
    responseHeaders: { location: OWN_HTTP },
    transports: ['HTTP/1.1'],
  },
  {
    name: '[T-35] over h2c Location is built from :authority (never http://null/...)',
    method: 'POST',
    headers: CREATE,
    status: 201,
    responseHeaders: { location: OWN_HTTP },
    transports: ['h2c'],
  },
  {
    name: '[T-35] over TLS h2 Location is https and built from :authority',
    method: 'POST',
    headers: CREATE,
    status: 201,
    responseHeaders: { location: OWN_HTTPS },
    transports: ['TLS h2'],
  },
  {
    name: '[T-35] Location follows the Host the client named',
    method: 'POST',
    headers: { ...CREATE, host: 'uploads.example:8443' },
    status: 201,
    responseHeaders: { location: new RegExp(`^http://uploads\\.example:8443/files/${ID}$`) },
    transports: ['HTTP/1.1'],
  },
  {
    name: '[T-35] Location follows the :authority the client named',
    method: 'POST',
    headers: { ...CREATE, ':authority': 'uploads.example:8443' },
    status: 201,
    responseHeaders: { location: new RegExp(`^https?://uploads\\.example:8443/files/${ID}$`) },
    transports: ['h2c', 'TLS h2'],
  },
  {
    name: '[T-35] a Host that is not a host name gives a relative Location',
    method: 'POST',
    headers: { ...CREATE, host: 'bad host/x' },
    status: 201,
    responseHeaders: { location: new RegExp(`^/files/${ID}$`) },
    transports: ['HTTP/1.1'],
  },
  {
    name: 'without --behind-proxy, X-Forwarded-Host and X-Forwarded-Proto are ignored',
    method: 'POST',
    headers: { ...CREATE, 'x-forwarded-host': 'uploads.example', 'x-forwarded-proto': 'https' },
    status: 201,
    responseHeaders: { location: /^https?:\/\/127\.0\.0\.1:\d+\/files\// },
  },
  {
    name: 'without --behind-proxy, Forwarded is ignored',
    method: 'POST',
    headers: { ...CREATE, forwarded: 'for=192.0.2.60;proto=https;host=uploads.example' },
    status: 201,
    responseHeaders: { location: /^https?:\/\/127\.0\.0\.1:\d+\/files\// },
  },
]

const behindProxy: HttpCase[] = [
  {
    name: '[T-35] X-Forwarded-Host and X-Forwarded-Proto build Location',
    method: 'POST',
    headers: { ...CREATE, 'x-forwarded-host': 'uploads.example', 'x-forwarded-proto': 'https' },
    status: 201,
    responseHeaders: { location: new RegExp(`^https://uploads\\.example/files/${ID}$`) },
  },
  {
    name: '[T-35] the first X-Forwarded-Host of a list (the one nearest the client) is used',
    method: 'POST',
    headers: { ...CREATE, 'x-forwarded-host': 'uploads.example, internal.lan', 'x-forwarded-proto': 'https, http' },
    status: 201,
    responseHeaders: { location: new RegExp(`^https://uploads\\.example/files/${ID}$`) },
  },
  {
    name: '[T-35] Forwarded (RFC 7239) builds Location and wins over X-Forwarded-*',
    method: 'POST',
    headers: {
      ...CREATE,
      forwarded: 'for=192.0.2.60;proto=https;host="uploads.example:8443"',
      'x-forwarded-host': 'other.example',
      'x-forwarded-proto': 'http',
    },
    status: 201,
    responseHeaders: { location: new RegExp(`^https://uploads\\.example:8443/files/${ID}$`) },
  },
  {
    name: 'a forwarded host that is not a host name is not used',
    method: 'POST',
    headers: { ...CREATE, 'x-forwarded-host': 'evil.example/path', 'x-forwarded-proto': 'javascript' },
    status: 201,
    responseHeaders: { location: /^https?:\/\/127\.0\.0\.1:\d+\/files\// },
  },
]

describe('directly reached', () => runHttpCases(direct))
describe('behind a proxy (--behind-proxy)', () => runHttpCases(behindProxy, { behindProxy: true }))
