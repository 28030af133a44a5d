import { describe } from 'vitest'
import { runHttpCases, type HttpCase } from '../support/http-cases.js'
import { TUS } from '../support/tus.js'

const APP = 'https://app.example'
const PREFLIGHT = { origin: APP, 'access-control-request-method': 'PATCH', 'access-control-request-headers': 'tus-resumable,upload-offset' }

// CORS, so browser clients (tus-js-client, Uppy) on another origin can upload.
describe('with any origin allowed (default)', () => {
  const cases: HttpCase[] = [
    {
      name: 'a preflight gets the allowed methods and headers and a max age',
      method: 'OPTIONS',
      headers: PREFLIGHT,
      status: 200,
      responseHeaders: {
        'access-control-allow-origin': '*',
        'access-control-allow-methods': /PATCH/,
        'access-control-allow-headers': /Upload-Offset.*Tus-Resumable|Tus-Resumable.*Upload-Offset/,
        'access-control-max-age': '86400',
        'access-control-expose-headers': null,
      },
    },
    {
      name: 'a preflight for an upload URL is answered the same way',
      given: { length: 3 },
      method: 'OPTIONS',
      headers: PREFLIGHT,
      status: 200,
      responseHeaders: { 'access-control-allow-origin': '*', 'access-control-allow-methods': /DELETE/ },
    },
    {
      name: 'a request with Origin gets Allow-Origin and exposes Location and Upload-Offset',
      method: 'POST',
      headers: { ...TUS, origin: APP, 'upload-length': '3' },
      status: 201,
      responseHeaders: {
        'access-control-allow-origin': '*',
        'access-control-expose-headers': /(?=.*\bLocation\b)(?=.*\bUpload-Offset\b)(?=.*\bUpload-Length\b)(?=.*\bTus-Resumable\b)/,
      },
    },
    {
      name: 'an error answer to a request with Origin carries the CORS headers too (the browser can read it)',
      method: 'POST',
      headers: { ...TUS, origin: APP },
      status: 400,
      responseHeaders: { 'access-control-allow-origin': '*' },
    },
    {
      name: 'a request without Origin gets no CORS headers',
      method: 'POST',
      headers: { ...TUS, 'upload-length': '3' },
      status: 201,
      responseHeaders: { 'access-control-allow-origin': null, 'access-control-expose-headers': null },
    },
  ]
  runHttpCases(cases)
})

describe('with --cors-allow-origin listing origins', () => {
  const cases: HttpCase[] = [
    {
      name: 'a listed origin is echoed, with Vary: Origin',
      method: 'POST',
      headers: { ...TUS, origin: APP, 'upload-length': '3' },
      status: 201,
      responseHeaders: { 'access-control-allow-origin': APP, vary: /Origin/, 'access-control-expose-headers': /Location/ },
    },
    {
      name: 'a preflight from a listed origin is allowed',
      method: 'OPTIONS',
      headers: { ...PREFLIGHT, origin: 'https://other.example' },
      status: 200,
      responseHeaders: { 'access-control-allow-origin': 'https://other.example', 'access-control-allow-methods': /PATCH/ },
    },
    {
      name: 'an origin not listed gets no Allow-Origin',
      method: 'POST',
      headers: { ...TUS, origin: 'https://evil.example', 'upload-length': '3' },
      status: 201,
      responseHeaders: { 'access-control-allow-origin': null, 'access-control-expose-headers': null, vary: /Origin/ },
    },
    {
      name: 'a preflight from an origin not listed gets no Allow-Methods',
      method: 'OPTIONS',
      headers: { ...PREFLIGHT, origin: 'https://evil.example' },
      status: 200,
      responseHeaders: { 'access-control-allow-origin': null, 'access-control-allow-methods': null },
    },
  ]
  runHttpCases(cases, { corsAllowOrigin: [APP, 'https://other.example'] })
})
