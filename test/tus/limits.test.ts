import { describe, expect, it } from 'vitest'
import { eachTransport, expectResponse, runHttpCases, type HttpCase } from '../support/http-cases.js'
import { createUpload, OFFSET_OCTET_STREAM, patch, storedOffset, TUS } from '../support/tus.js'

const MAX_SIZE = 1000
const PATCH = { ...TUS, 'content-type': OFFSET_OCTET_STREAM }

/**
 * A body sent without a declared size (chunked on HTTP/1.1, DATA frames without Content-Length on
 * HTTP/2): `bytes` at once, then nothing more until `finish()` is called. A server that waited for
 * the end of the body before answering would never answer.
 */
function openBody(bytes: number): { body: AsyncIterable<Uint8Array>; finish: () => void } {
  let finish!: () => void
  const finished = new Promise<void>((resolve) => (finish = resolve))
  async function* body(): AsyncGenerator<Uint8Array> {
    yield Buffer.alloc(bytes, 0x61)
    await finished
  }
  return { body: body(), finish }
}

// Size limits: Tus-Max-Size (--max-size) and the upload's own length.
describe('with a size limit', () => {
  const cases: HttpCase[] = [
    {
      name: '[T-08] OPTIONS announces the limit in Tus-Max-Size',
      method: 'OPTIONS',
      status: 200,
      responseHeaders: { 'tus-max-size': String(MAX_SIZE) },
    },
    {
      name: '[T-34] a creation over the limit gets 413 and creates nothing',
      method: 'POST',
      headers: { ...TUS, 'upload-length': String(MAX_SIZE + 1) },
      status: 413,
      responseHeaders: { location: null },
      bodyContains: String(MAX_SIZE),
    },
    {
      name: '[T-34] a creation of exactly the limit is accepted',
      method: 'POST',
      headers: { ...TUS, 'upload-length': String(MAX_SIZE) },
      status: 201,
    },
    {
      name: '[T-34] a deferred length declared over the limit gets 413 and the upload keeps its length unknown',
      given: { data: 'abc' },
      method: 'PATCH',
      headers: { ...PATCH, 'upload-offset': '3', 'upload-length': String(MAX_SIZE + 1) },
      body: '',
      status: 413,
      upload: { offset: 3, deferred: true },
    },
    {
      name: '[T-34] a PATCH announcing more bytes than the upload length allows gets 413 and stores nothing',
      given: { length: 10, data: 'abc' },
      method: 'PATCH',
      headers: { ...PATCH, 'upload-offset': '3' },
      body: 'this is far more than seven bytes',
      status: 413,
      upload: { offset: 3 },
    },
    {
      name: '[T-34] a PATCH to a complete upload with data gets 413',
      given: { length: 3, data: 'abc' },
      method: 'PATCH',
      headers: { ...PATCH, 'upload-offset': '3' },
      body: 'd',
      status: 413,
      upload: { offset: 3, length: 3 },
    },
  ]
  runHttpCases(cases, { maxSize: MAX_SIZE })

  eachTransport({ maxSize: MAX_SIZE }, (context) => {
    it('[T-34] [T-21] a body of unannounced size past Upload-Length gets 413 at the limit, keeping bytes up to the length', async () => {
      const { client, gateway } = context()
      const url = await createUpload(client, gateway.basePath, { length: 100, data: 'x'.repeat(40) })
      const { body, finish } = openBody(500)
      try {
        // The body never ends before the answer: the answer comes at the limit, not after the body.
        const response = await patch(client, url, 40, body)
        expectResponse(response, { status: 413 })
      } finally {
        finish()
      }
      expect(await storedOffset(client, url)).toBe(100)
    })

    it('[T-34] [T-21] a deferred upload streaming past the maximum size gets 413, keeping bytes up to the maximum', async () => {
      const { client, gateway } = context()
      const url = await createUpload(client, gateway.basePath, {})
      const { body, finish } = openBody(MAX_SIZE + 200)
      try {
        const response = await patch(client, url, 0, body)
        expectResponse(response, { status: 413 })
      } finally {
        finish()
      }
      expect(await storedOffset(client, url)).toBe(MAX_SIZE)
    })

    it('[T-21] a body of unannounced size that fits is stored whole', async () => {
      const { client, gateway } = context()
      const url = await createUpload(client, gateway.basePath, { length: 300 })
      async function* chunks(): AsyncGenerator<Uint8Array> {
        for (let i = 0; i < 3; i++) yield Buffer.alloc(100, 0x30 + i)
      }
      const response = await patch(client, url, 0, chunks())
      expectResponse(response, { status: 204, responseHeaders: { 'upload-offset': '300' } })
    })
  })
})
