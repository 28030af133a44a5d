import { createHash } from 'node:crypto'
import { expect, it } from 'vitest'
import { eachTransport } from '../support/http-cases.js'
import { createUpload, head, patch } from '../support/tus.js'

const sha1 = (text: string): string => `sha1 ${createHash('sha1').update(text).digest('base64')}`

// tus checksum: on a mismatch "the uploaded chunk MUST be discarded, and the upload and its offset MUST NOT
// be updated". A PATCH that also declares a deferred length (the last PATCH of tus-js-client's
// uploadLengthDeferred) used to keep its Upload-Length although its chunk was thrown away.
eachTransport({}, (context) => {
  it('[T-29] [T-43] a discarded PATCH leaves a deferred length deferred; the retry declares it', async () => {
    const { client, gateway } = context()
    const url = await createUpload(client, gateway.basePath, {})
    const refused = await patch(client, url, 0, 'hello worlX', { 'upload-length': '11', 'upload-checksum': sha1('hello world') })
    expect(refused.status, refused.text).toBe(460)
    const after = await head(client, url)
    expect(after.headers['upload-offset']).toBe('0')
    expect(after.headers['upload-defer-length']).toBe('1')
    expect(after.headers['upload-length']).toBeUndefined()
    // The client may still declare another length: the refused request changed nothing.
    const retried = await patch(client, url, 0, 'hello world!', { 'upload-length': '12', 'upload-checksum': sha1('hello world!') })
    expect(retried.status, retried.text).toBe(204)
    const done = await head(client, url)
    expect(done.headers['upload-offset']).toBe('12')
    expect(done.headers['upload-length']).toBe('12')
  })

  it('[T-34] [T-43] a checked PATCH declaring a length is held to it: 413, nothing kept, the length still deferred', async () => {
    const { client, gateway } = context()
    const url = await createUpload(client, gateway.basePath, {})
    const refused = await patch(client, url, 0, 'hello world', { 'upload-length': '5', 'upload-checksum': sha1('hello world') })
    expect(refused.status, refused.text).toBe(413)
    const after = await head(client, url)
    expect(after.headers['upload-offset']).toBe('0')
    expect(after.headers['upload-defer-length']).toBe('1')
  })
})
