import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { TestClient } from '../support/client.js'
import { copyToTemp, startGateway, type TestGateway } from '../support/gateway.js'
import { expectResponse } from '../support/http-cases.js'
import { transports } from '../support/transports.js'
import { download, head, patch } from '../support/tus.js'

// A directory written by tusd's filestore, served as it is ("fronting existing storage").
// shared/ lies beside the repository (here and in CI).
const FIXTURE = fileURLToPath(new URL('../fixtures/tusd-filestore', import.meta.url))
const FINISHED = '3f1c9a7e5b2d4c6e8f0a1b2c3d4e5f60'
const UNFINISHED = '8a2b4c6d8e0f1a3b5c7d9e1f2a4b6c8d'
const DEFERRED = 'c0ffee00c0ffee00c0ffee00c0ffee00'
const b64 = (text: string): string => Buffer.from(text).toString('base64')

describe.each(transports.map((transport) => [transport.name, transport] as const))('over %s', (_name, transport) => {
  let fixture: Awaited<ReturnType<typeof copyToTemp>>
  let gateway: TestGateway
  let client: TestClient
  beforeAll(async () => {
    fixture = await copyToTemp(FIXTURE)
    gateway = await startGateway({ uploadDir: fixture.dir })
    client = transport.connect(gateway)
  })
  afterAll(async () => {
    await client?.close()
    await gateway?.close()
    await fixture?.remove()
  })
  const url = (id: string): string => `${gateway.basePath}${id}`

  it('[T-10] [T-11] [T-33] HEAD of tusd\'s unfinished upload shows offset 10 of 26 and its metadata', async () => {
    const response = await head(client, url(UNFINISHED))
    expectResponse(response, {
      status: 200,
      responseHeaders: {
        'upload-offset': '10',
        'upload-length': '26',
        'upload-metadata': `filename ${b64('alphabet.txt')},filetype ${b64('text/plain')}`,
      },
    })
  })

  it('[T-15] [T-18] tusd\'s unfinished upload resumes with PATCH and downloads whole', async () => {
    const rest = 'abcdefghijklmnop'
    expectResponse(await patch(client, url(UNFINISHED), 10, rest), { status: 204, responseHeaders: { 'upload-offset': '26' } })
    const response = await download(client, url(UNFINISHED))
    expectResponse(response, { status: 200, responseHeaders: { 'content-type': 'text/plain' } })
    expect(response.text).toBe(`0123456789${rest}`)
  })

  it('tusd\'s finished upload downloads as hello.txt', async () => {
    const response = await download(client, url(FINISHED))
    expectResponse(response, {
      status: 200,
      responseHeaders: {
        'content-type': 'text/plain',
        'content-disposition': `inline; filename="hello.txt"; filename*=UTF-8''hello.txt`,
        'content-length': '16',
      },
    })
    expect(response.text).toBe('hello from tusd\n')
  })

  it('[T-29] tusd\'s deferred upload shows Upload-Defer-Length: 1 and offset 5', async () => {
    const response = await head(client, url(DEFERRED))
    expectResponse(response, {
      status: 200,
      responseHeaders: { 'upload-defer-length': '1', 'upload-length': null, 'upload-offset': '5' },
    })
  })

  it('[T-29] tusd\'s deferred upload takes its length on a PATCH and finishes', async () => {
    const declared = await patch(client, url(DEFERRED), 5, '67890', { 'upload-length': '10' })
    expectResponse(declared, { status: 204, responseHeaders: { 'upload-offset': '10' } })
    const state = await head(client, url(DEFERRED))
    expectResponse(state, { status: 200, responseHeaders: { 'upload-length': '10', 'upload-defer-length': null } })
    expect((await download(client, url(DEFERRED))).text).toBe('1234567890')
  })
})
