import { gunzipSync, gzipSync } from 'node:zlib'
import { describe, expect, it } from 'vitest'
import { pathOf, TUS } from '../support/tus.js'
import { completeness, draft, eachDraftTransport, VERSIONS } from './draft-cases.js'
import type { DraftClient } from './draft-client.js'

/** The metadata tus shows for an upload (HEAD `Upload-Metadata`), decoded. */
async function tusMetadata(client: DraftClient, url: string): Promise<Record<string, string>> {
  const head = await client.request({ method: 'HEAD', url, headers: { ...TUS } })
  expect(head.status).toBe(200)
  const pairs = (head.headers['upload-metadata'] ?? '').split(',').filter((pair) => pair !== '')
  return Object.fromEntries(
    pairs.map((pair) => {
      const [key = '', value = ''] = pair.split(' ')
      return [key, Buffer.from(value, 'base64').toString('utf8')]
    }),
  )
}

eachDraftTransport({}, (context) => {
  describe.each(VERSIONS.map((v) => [v]))('interop %i', (v) => {
    it('[R-42] Content-Type and the Content-Disposition file name of the creation become filetype and filename, as tus and hooks see them', async () => {
      const { client, gateway } = context()
      const created = await client.request({
        method: 'POST',
        url: gateway.basePath,
        headers: draft(v, {
          ...completeness(v, true),
          'content-type': 'image/png',
          'content-disposition': `inline; filename="file name.png"; filename*=UTF-8''%C3%A9t%C3%A9.png`,
        }),
        body: 'png bytes',
      })
      expect(created.status).toBe(201)
      const url = pathOf(created.headers.location ?? '')
      // filename* (RFC 8187, UTF-8) wins over the ASCII fallback (RFC 6266 §4.3).
      expect(await tusMetadata(client, url)).toEqual({ filetype: 'image/png', filename: 'été.png' })
      const download = await client.request({ method: 'GET', url })
      expect(download.headers['content-type']).toBe('image/png')
      expect(download.headers['content-disposition']).toContain("filename*=UTF-8''%C3%A9t%C3%A9.png")
      expect(download.text).toBe('png bytes')
    })
  })

  it('[R-81] a file name is sanitized: no path, no control characters; a quoted name is unescaped', async () => {
    const { client, gateway } = context()
    const created = await client.request({
      method: 'POST',
      url: gateway.basePath,
      headers: draft(8, { ...completeness(8, true), 'content-disposition': 'attachment; filename="..\\\\..\\\\etc/pass\\"wd\t.txt"' }),
      body: 'x',
    })
    expect(await tusMetadata(client, pathOf(created.headers.location ?? ''))).toEqual({ filename: 'pass"wd.txt' })
  })

  it('[R-42] the media types of the upload framing (application/partial-upload, tus\'s offset+octet-stream) are not the file\'s type', async () => {
    const { client, gateway } = context()
    for (const type of ['application/partial-upload', 'application/offset+octet-stream']) {
      const created = await client.request({
        method: 'POST',
        url: gateway.basePath,
        headers: draft(6, { ...completeness(6, true), 'content-type': type }),
        body: 'x',
      })
      expect(await tusMetadata(client, pathOf(created.headers.location ?? ''))).toEqual({})
    }
  })

  it('[R-42] the Content-Encoding of the creation is kept as content-encoding and sent with the download of the bytes as sent', async () => {
    const { client, gateway } = context()
    const gzipped = gzipSync('hello hello hello')
    const created = await client.request({
      method: 'POST',
      url: gateway.basePath,
      headers: draft(8, { ...completeness(8, true), 'content-type': 'text/plain', 'content-encoding': 'GZIP' }),
      body: gzipped,
    })
    expect(created.status).toBe(201)
    const url = pathOf(created.headers.location ?? '')
    expect(await tusMetadata(client, url)).toEqual({ filetype: 'text/plain', 'content-encoding': 'gzip' })
    const download = await client.request({ method: 'GET', url })
    expect(download.headers['content-encoding']).toBe('gzip')
    expect(gunzipSync(download.body).toString()).toBe('hello hello hello')
    // identity is no coding, and what is not a list of codings is left out.
    for (const coding of ['identity', 'gzip;q=1', 'a b']) {
      const plain = await client.request({
        method: 'POST',
        url: gateway.basePath,
        headers: draft(8, { ...completeness(8, true), 'content-encoding': coding }),
        body: 'x',
      })
      expect(await tusMetadata(client, pathOf(plain.headers.location ?? '')), coding).toEqual({})
    }
  })

  it('[R-81] a malformed Content-Type is left out rather than stored', async () => {
    const { client, gateway } = context()
    const created = await client.request({
      method: 'POST',
      url: gateway.basePath,
      headers: draft(8, { ...completeness(8, true), 'content-type': 'not a type' }),
      body: 'x',
    })
    expect(created.status).toBe(201)
    expect(await tusMetadata(client, pathOf(created.headers.location ?? ''))).toEqual({})
  })
})
