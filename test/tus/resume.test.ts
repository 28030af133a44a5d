import { createHash, randomBytes } from 'node:crypto'
import { expect, it } from 'vitest'
import { eachTransport, expectResponse } from '../support/http-cases.js'
import { createUpload, download, head, patch, storedOffset } from '../support/tus.js'

const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex')

// The core protocol end to end: create, upload in parts, find the offset with HEAD, resume, finish, download.
eachTransport({ networkTimeoutMs: 500 }, (context) => {
  it('[T-01] an upload sent in parts, resumed from the offset HEAD reports, downloads byte for byte', async () => {
    const { client, gateway } = context()
    const data = randomBytes(300 * 1024)
    const url = await createUpload(client, gateway.basePath, { length: data.length })
    const first = await patch(client, url, 0, data.subarray(0, 100_000))
    expectResponse(first, { status: 204, responseHeaders: { 'upload-offset': '100000' } })
    // A client that lost the answer asks where to go on.
    const offset = await storedOffset(client, url)
    expect(offset).toBe(100_000)
    for (let at = offset; at < data.length; at += 64 * 1024) {
      const end = Math.min(at + 64 * 1024, data.length)
      expectResponse(await patch(client, url, at, data.subarray(at, end)), { status: 204, responseHeaders: { 'upload-offset': String(end) } })
    }
    const done = await head(client, url)
    expectResponse(done, { status: 200, responseHeaders: { 'upload-offset': String(data.length), 'upload-length': String(data.length) } })
    const fetched = await download(client, url)
    expectResponse(fetched, { status: 200 })
    expect(sha256(fetched.body)).toBe(sha256(data))
  })

  it('[T-20] [T-21] a PATCH body that stalls is ended by the network timeout, keeping what arrived', async () => {
    const { client, gateway } = context()
    const url = await createUpload(client, gateway.basePath, { length: 100 })
    let release!: () => void
    const released = new Promise<void>((resolve) => (release = resolve))
    async function* stalling(): AsyncGenerator<Uint8Array> {
      yield Buffer.from('12345')
      await released
    }
    try {
      const response = await patch(client, url, 0, stalling())
      // A 5xx tells the client to retry; it resumes from the stored offset.
      expectResponse(response, { status: 500, bodyContains: '5 bytes are stored' })
    } finally {
      release()
    }
    expect(await storedOffset(client, url)).toBe(5)
  })
})
