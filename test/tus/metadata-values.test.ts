import { expect, it } from 'vitest'
import { eachTransport } from '../support/http-cases.js'
import { createUpload, download, head, TUS } from '../support/tus.js'

const base64 = (bytes: Uint8Array | string): string => Buffer.from(bytes).toString('base64')

// Upload-Metadata as real clients send it, odd but valid: values that are bytes rather than text (the spec:
// "metadata can contain arbitrary binary values"), text in any script, keys without values, many keys.
eachTransport({}, (context) => {
  it('[T-33] HEAD echoes metadata values that are not UTF-8 byte for byte', async () => {
    const { client, gateway } = context()
    const metadata = `digest ${base64(Buffer.from('fffefd00c3', 'hex'))},bom ${base64('\ufeffx')},text ${base64('héllo ☃ 😀')}`
    const url = await createUpload(client, gateway.basePath, { length: 1, metadata })
    expect((await head(client, url)).headers['upload-metadata']).toBe(metadata)
  })

  it('[T-31] [T-33] accepts a key alone, an empty header and a hundred keys, and echoes them', async () => {
    const { client, gateway } = context()
    const many = Array.from({ length: 100 }, (_, n) => `key${n} ${base64(`value ${n}`)}`).join(',')
    for (const metadata of ['key', many, `filename ${base64('naïve.txt')},is_confidential`]) {
      const url = await createUpload(client, gateway.basePath, { length: 1, metadata })
      expect((await head(client, url)).headers['upload-metadata'], metadata).toBe(metadata)
    }
    const empty = await client.request({ method: 'POST', url: gateway.basePath, headers: { ...TUS, 'upload-length': '1', 'upload-metadata': '' } })
    expect(empty.status).toBe(201)
    expect((await head(client, empty.headers.location ?? '')).headers['upload-metadata']).toBeUndefined()
  })

  it('[T-32] downloads a finished upload whose filename is not UTF-8, with a safe Content-Disposition', async () => {
    const { client, gateway } = context()
    const filename = Buffer.concat([Buffer.from('report'), Buffer.from([0xff]), Buffer.from('.txt')])
    const url = await createUpload(client, gateway.basePath, { length: 2, metadata: `filename ${base64(filename)},filetype ${base64('text/plain')}`, data: 'ok' })
    const fetched = await download(client, url)
    expect(fetched.status, fetched.text).toBe(200)
    expect(fetched.text).toBe('ok')
    expect(fetched.headers['content-disposition']).toBe(`inline; filename="report_.txt"; filename*=UTF-8''report%EF%BF%BD.txt`)
  })
})
