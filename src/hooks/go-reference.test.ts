import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { decodeMetadataValue } from '../protocol/tus-v1/metadata-value.js'
import { encodeHookRequest, type HookRequest } from './hook-request.js'
import { parseHookResponse } from './hook-response.js'
import type { HookType } from './hook-types.js'

// Inputs, and what Go's encoding/json made of them with tusd's struct shapes (test/hooks/go-reference/main.go).
const REFERENCE = new URL('../../test/hooks/go-reference/', import.meta.url)
const cases = JSON.parse(readFileSync(new URL('cases.json', REFERENCE), 'utf8')) as {
  Requests: {
    Name: string
    Type: HookType
    ID: string
    Size: number
    SizeIsDeferred?: boolean
    Offset: number
    MetaData: Record<string, string>
    IsPartial?: boolean
    IsFinal?: boolean
    PartialUploads: string[] | null
    Storage: Record<string, string> | null
    Method: string
    URI: string
    RemoteAddr: string
    Header: Record<string, string[]>
  }[]
  Responses: string[]
}
const expected = JSON.parse(readFileSync(new URL('expected.json', REFERENCE), 'utf8')) as {
  Requests: Record<string, string>
  Responses: { Input: string; Response?: unknown; Error?: string }[]
}

/** Bytes as the gateway keeps metadata: UTF-8 text, other bytes as lone surrogates. */
const text = (base64: string): string => decodeMetadataValue(Buffer.from(base64, 'base64'))

describe("hook JSON, compared with Go's encoding/json", () => {
  it('has a reference for every case', () => {
    expect(Object.keys(expected.Requests).sort()).toEqual(cases.Requests.map((c) => c.Name).sort())
    expect(expected.Responses.map((r) => r.Input)).toEqual(cases.Responses)
  })

  for (const c of cases.Requests) {
    it(`writes the request "${c.Name}" byte for byte as tusd (key order, sorted maps, escapes, null)`, () => {
      const request: HookRequest = {
        Type: c.Type,
        Event: {
          Upload: {
            ID: c.ID,
            Size: c.Size,
            SizeIsDeferred: c.SizeIsDeferred ?? false,
            Offset: c.Offset,
            MetaData: Object.fromEntries(Object.entries(c.MetaData).map(([key, value]) => [text(key), text(value)])),
            IsPartial: c.IsPartial ?? false,
            IsFinal: c.IsFinal ?? false,
            PartialUploads: c.PartialUploads,
            Storage: c.Storage,
          },
          HTTPRequest: { Method: c.Method, URI: c.URI, RemoteAddr: c.RemoteAddr, Header: c.Header },
        },
      }
      expect(encodeHookRequest(request)).toBe(expected.Requests[c.Name])
    })
  }

  for (const reference of expected.Responses) {
    const outcome = reference.Error === undefined ? 'reads' : 'refuses'
    it(`${outcome} the answer ${JSON.stringify(reference.Input).slice(0, 90)} as Go does`, () => {
      if (reference.Error !== undefined) expect(() => parseHookResponse(reference.Input)).toThrow(/failed to parse hook response/)
      else expect(parseHookResponse(reference.Input)).toEqual(reference.Response)
    })
  }
})
