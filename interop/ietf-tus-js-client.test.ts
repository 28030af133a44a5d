import { createHash, randomBytes } from 'node:crypto'
import * as tus from 'tus-js-client'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startGateway, type TestGateway } from '../test/support/gateway.js'

const sha256 = (data: Uint8Array): string => createHash('sha256').update(data).digest('hex')
type DraftProtocol = 'ietf-draft-03' | 'ietf-draft-05'

// tus-js-client 4.3.1 reads `protocol` at runtime, but its type definitions do not declare it.
declare module 'tus-js-client' {
  interface UploadOptions {
    protocol?: 'tus-v1' | DraftProtocol
  }
}

/** Runs a tus-js-client upload to its end; resolves with its URL. */
function upload(data: Buffer, options: Partial<tus.UploadOptions>): Promise<string> {
  return new Promise((resolve, reject) => {
    const running = new tus.Upload(data, {
      retryDelays: [0, 100],
      ...options,
      onError: reject,
      onSuccess: () => resolve(running.url ?? ''),
    })
    running.start()
  })
}

async function download(url: string): Promise<Buffer> {
  const response = await fetch(url)
  expect(response.status).toBe(200)
  return Buffer.from(await response.arrayBuffer())
}

describe('tus-js-client 4.3 in its IETF draft modes', () => {
  let gateway: TestGateway
  let endpoint: string
  beforeAll(async () => {
    gateway = await startGateway({ experimentalProtocol: true })
    endpoint = `http://127.0.0.1:${gateway.port}${gateway.basePath}`
  })
  afterAll(() => gateway.close())

  // ietf-draft-03 sends interop version 5, ietf-draft-05 version 6 (application/partial-upload appends).
  describe.each([['ietf-draft-03' as DraftProtocol], ['ietf-draft-05' as DraftProtocol]])('protocol %s', (protocol) => {
    it('[R-29] [R-58] uploads a file in one request, byte for byte', async () => {
      const data = randomBytes(2 * 1024 * 1024 + 3)
      const url = await upload(data, { endpoint, protocol, uploadDataDuringCreation: true })
      expect(sha256(await download(url))).toBe(sha256(data))
    })

    it('[R-53] [R-59] uploads a file in 1 MiB appends, byte for byte', async () => {
      const data = randomBytes(3 * 1024 * 1024 + 11)
      const url = await upload(data, { endpoint, protocol, chunkSize: 1024 * 1024 })
      expect(sha256(await download(url))).toBe(sha256(data))
    })

    it('[R-44] [R-55] an upload aborted midway is resumed by a fresh client from the offset the gateway reports', async () => {
      const data = randomBytes(4 * 1024 * 1024)
      const uploadUrl = await new Promise<string>((resolve, reject) => {
        const first: tus.Upload = new tus.Upload(data, {
          endpoint,
          protocol,
          chunkSize: 512 * 1024,
          retryDelays: [],
          onError: reject,
          onChunkComplete: (_chunk, accepted) => {
            if (accepted < 1024 * 1024) return
            // Stop after at least two appends, as a closed browser tab would.
            void first.abort().then(() => resolve(first.url ?? ''))
          },
        })
        first.start()
      })
      const head = await fetch(uploadUrl, { method: 'HEAD', headers: { 'upload-draft-interop-version': protocol === 'ietf-draft-03' ? '5' : '6' } })
      const stored = Number(head.headers.get('upload-offset'))
      expect(stored).toBeGreaterThanOrEqual(1024 * 1024)
      expect(stored).toBeLessThan(data.length)
      const url = await upload(data, { endpoint, protocol, uploadUrl, chunkSize: 512 * 1024 })
      expect(url).toBe(uploadUrl)
      expect(sha256(await download(url))).toBe(sha256(data))
    })
  })
})
