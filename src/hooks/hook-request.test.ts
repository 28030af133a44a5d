import { describe, expect, it } from 'vitest'
import type { RequestInfo } from '../model/request-info.js'
import { goString } from './go-json.js'
import { canonicalHeaderKey, encodeHookRequest, fileInfoOf, httpRequestOf, newFileInfoOf, NO_FILE_INFO } from './hook-request.js'

const request = (headers: Record<string, string[]>, extra: Partial<RequestInfo> = {}): RequestInfo => ({
  protocol: 'tus-v1',
  method: 'PATCH',
  uri: '/files/abc?x=1',
  remoteAddress: '127.0.0.1:5000',
  headers,
  ...extra,
})

describe('hook payloads', () => {
  it('describes an upload as tusd FileInfo: Size 0 while deferred, "" for a key without value, storage as the store tells it', () => {
    const info = fileInfoOf({ id: 'u1', offset: 5, metadata: { filename: 'a.txt', flag: null }, storage: { Type: 'filestore', Path: '/d/u1', InfoPath: '/d/u1.info' } })
    expect(info).toEqual({
      ID: 'u1',
      Size: 0,
      SizeIsDeferred: true,
      Offset: 5,
      MetaData: { filename: 'a.txt', flag: '' },
      IsPartial: false,
      IsFinal: false,
      PartialUploads: null,
      Storage: { Type: 'filestore', Path: '/d/u1', InfoPath: '/d/u1.info' },
    })
  })

  it('describes a final upload with the ids of its partial uploads, a partial one as partial', () => {
    expect(fileInfoOf({ id: 'f', offset: 0, length: 9, metadata: {}, concat: { kind: 'final', partials: ['a', 'b'] } })).toMatchObject({ IsFinal: true, PartialUploads: ['a', 'b'] })
    expect(fileInfoOf({ id: 'p', offset: 0, length: 9, metadata: {}, concat: { kind: 'partial' } })).toMatchObject({ IsPartial: true, PartialUploads: null })
  })

  it('shows pre-create an upload without id (""), at offset 0, without storage, as tusd does', () => {
    expect(newFileInfoOf({ id: 'chosen-by-the-gateway', length: 3, metadata: { a: 'b' } })).toEqual({
      ID: '',
      Size: 3,
      SizeIsDeferred: false,
      Offset: 0,
      MetaData: { a: 'b' },
      IsPartial: false,
      IsFinal: false,
      PartialUploads: null,
      Storage: null,
    })
    expect(NO_FILE_INFO).toMatchObject({ ID: '', Size: 0, MetaData: {}, Storage: null })
  })

  it('keeps a metadata key named __proto__ as a key', () => {
    const info = fileInfoOf({ id: 'u', offset: 0, metadata: JSON.parse('{"__proto__":"x"}') as Record<string, string> })
    expect(Object.keys(info.MetaData)).toEqual(['__proto__'])
  })

  it('writes headers as Go keeps them: canonical names, every line a value, Host put back', () => {
    const http = httpRequestOf(request({ 'x-http-method-override': ['PATCH'], 'x-forwarded-for': ['10.0.0.1', '10.0.0.2'], host: ['up.example'], 'upload-offset': ['0'] }))
    expect(http).toEqual({
      Method: 'PATCH',
      URI: '/files/abc?x=1',
      RemoteAddr: '127.0.0.1:5000',
      Header: { 'X-Http-Method-Override': ['PATCH'], 'X-Forwarded-For': ['10.0.0.1', '10.0.0.2'], 'Upload-Offset': ['0'], Host: ['up.example'] },
    })
  })

  it("leaves out what Go's parser takes out of a chunked request: Transfer-Encoding, Content-Length, Trailer", () => {
    const http = httpRequestOf(request({ 'transfer-encoding': ['chunked'], 'content-length': ['5'], trailer: ['Upload-Checksum'], host: ['h'] }))
    expect(Object.keys(http.Header)).toEqual(['Host'])
    expect(Object.keys(httpRequestOf(request({ 'content-length': ['5'], host: ['h'] })).Header).sort()).toEqual(['Content-Length', 'Host'])
  })

  it('sends Host as "" for a request without one, and empty facts for work the gateway does itself', () => {
    expect(httpRequestOf(request({})).Header).toEqual({ Host: [''] })
    expect(httpRequestOf(undefined)).toEqual({ Method: '', URI: '', RemoteAddr: '', Header: {} })
  })

  it("canonicalizes header names as Go's textproto does", () => {
    expect(['content-type', 'x-request-id', 'www-authenticate', 'upload-draft-interop-version', 'a', 'x-1a', 'etag'].map(canonicalHeaderKey)).toEqual([
      'Content-Type',
      'X-Request-Id',
      'Www-Authenticate',
      'Upload-Draft-Interop-Version',
      'A',
      'X-1a',
      'Etag',
    ])
  })

  it('adds the action to a pre-access payload, after the request facts', () => {
    const json = encodeHookRequest({ Type: 'pre-access', Event: { Upload: NO_FILE_INFO, HTTPRequest: httpRequestOf(undefined), Action: 'create' } })
    expect(json).toBe(
      '{"Type":"pre-access","Event":{"Upload":{"ID":"","Size":0,"SizeIsDeferred":false,"Offset":0,"MetaData":{},"IsPartial":false,"IsFinal":false,"PartialUploads":null,"Storage":null},"HTTPRequest":{"Method":"","URI":"","RemoteAddr":"","Header":{}},"Action":"create"}}',
    )
  })

  it('writes \\b and \\f as Go 1.22 and later do (tusd v2.10 is built with Go 1.25), other control characters as \\u00XX', () => {
    expect(goString('\b\f\u0000\u001f\u007f')).toBe('"\\b\\f\\u0000\\u001f\u007f"')
  })

  it('passes plain ASCII through and escapes the rest as Go does', () => {
    expect(goString('/files/abc+def~x')).toBe('"/files/abc+def~x"')
    expect(goString('a"b\\c<d>e&f')).toBe('"a\\"b\\\\c\\u003cd\\u003ee\\u0026f"')
    expect(goString('😀\ud800x\udc80')).toBe('"😀\\ufffdx\\ufffd"')
  })
})
