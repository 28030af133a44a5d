import { afterAll, beforeAll, expect, it } from 'vitest'
import type { AzureStore } from '../../src/store/azure/azure-store.js'
import { appendHeaders, draft, retrieveOffset } from '../ietf/draft-cases.js'
import { http1DraftClient, type DraftClient } from '../ietf/draft-client.js'
import type { TestClient } from '../support/client.js'
import { startGateway, type TestGateway } from '../support/gateway.js'
import { http1Client } from '../support/http1-client.js'
import { download, head, patch } from '../support/tus.js'
import { describeWithServer } from '../servers/availability.js'
import { azurite } from '../servers/azurite.js'
import { azureStore } from './azure-support.js'
import { tusdBlockId, tusdInfo, writeTusdUpload, type TusdUpload } from './tusd-container.js'

// "Fronting existing storage": a container as tusd's azurestore writes it (tusd-container.ts), served as it is
// by a gateway started on it with tusd's object prefix, and resumed with tus and with the draft. Then what the
// gateway wrote there is read back as tusd reads it.

const PREFIX = 'tusd'
const b64 = (text: string): string => Buffer.from(text).toString('base64')

const FINISHED: TusdUpload = {
  id: '3f1c9a7e5b2d4c6e8f0a1b2c3d4e5f60',
  size: 16,
  metadata: { filetype: 'text/plain', filename: 'hello.txt' },
  patches: ['hello ', 'tusd world'],
  finished: true,
  sentinel: true,
}
const UNFINISHED: TusdUpload = {
  id: '8a2b4c6d8e0f1a3b5c7d9e1f2a4b6c8d',
  size: 26,
  metadata: { filename: 'alphabet.txt', filetype: 'text/plain' },
  patches: ['01234', '56789'],
  finished: false,
  sentinel: true,
}
const DEFERRED: TusdUpload = { id: 'c0ffee00c0ffee00c0ffee00c0ffee00', metadata: { filename: 'deferred.bin' }, patches: ['abcde'], finished: false, sentinel: true }
// tusd before 2.9.1 staged no sentinel.
const OLD: TusdUpload = { id: '0ld0ld0ld0ld0ld0ld0ld0ld0ld0ld00', size: 6, metadata: {}, patches: ['abc'], finished: false, sentinel: false }
// 210 one-byte PATCHes, staged out of order: ids of indexes 208 and up (`0AAAAA==`...) sort before `AAAAAA==`,
// so only a numeric reading of the ids puts the bytes back in order.
const MANY_BYTES = Array.from({ length: 210 }, (_, i) => String.fromCharCode(65 + (i % 26)))
const MANY: TusdUpload = {
  id: 'a11b10c5a11b10c5a11b10c5a11b10c5',
  size: 220,
  metadata: { filename: 'many.txt' },
  patches: MANY_BYTES,
  finished: false,
  sentinel: true,
  stageOrder: MANY_BYTES.map((_, i) => (i * 37) % 210),
}

describeWithServer("a container written by tusd's azurestore, served by the gateway", azurite, (server) => {
  let made: { store: AzureStore; cleanup(): Promise<void> }
  let gateway: TestGateway
  let client: TestClient
  let draftClient: DraftClient

  beforeAll(async () => {
    made = await azureStore(server(), { objectPrefix: PREFIX })
    for (const upload of [FINISHED, UNFINISHED, DEFERRED, OLD, MANY]) await writeTusdUpload(made.store.container, PREFIX, upload)
    gateway = await startGateway({ store: made.store, experimentalProtocol: true })
    client = http1Client(gateway.port)
    draftClient = http1DraftClient(gateway.port)
  })
  afterAll(async () => {
    await client?.close()
    await draftClient?.close()
    await gateway?.close()
    await made?.cleanup()
  })
  const url = (upload: TusdUpload): string => `${gateway.basePath}${upload.id}`

  it("[T-10] [T-11] [T-33] tus HEAD of tusd's unfinished upload shows offset 10 of 26 and its metadata", async () => {
    const response = await head(client, url(UNFINISHED))
    expect(response.status).toBe(200)
    expect(response.headers).toMatchObject({ 'upload-offset': '10', 'upload-length': '26' })
    expect(response.headers['upload-metadata']?.split(',').sort()).toEqual([`filename ${b64('alphabet.txt')}`, `filetype ${b64('text/plain')}`])
  })

  it("tusd's finished upload downloads whole and in ranges, as hello.txt", async () => {
    const whole = await download(client, url(FINISHED))
    expect([whole.status, whole.text, whole.headers['content-type']]).toEqual([200, 'hello tusd world', 'text/plain'])
    expect(whole.headers['content-disposition']).toContain('hello.txt')
    const range = await download(client, url(FINISHED), { range: 'bytes=4-9' })
    expect([range.status, range.text]).toEqual([206, 'o tusd'])
    expect((await head(client, url(FINISHED))).headers['upload-offset']).toBe('16')
  })

  it("[T-15] [T-18] tusd's unfinished upload resumes with a tus PATCH, is committed as tusd commits, and downloads whole", async () => {
    const rest = 'abcdefghijklmnop'
    const appended = await patch(client, url(UNFINISHED), 10, rest)
    expect([appended.status, appended.headers['upload-offset']]).toEqual([204, '26'])
    expect((await download(client, url(UNFINISHED))).text).toBe(`0123456789${rest}`)
    // tusd's reading of the blob: no uncommitted block (finished), the blocks in index order.
    const list = await made.store.container.getBlockBlobClient(`${PREFIX}/${UNFINISHED.id}`).getBlockList('all')
    expect(list.uncommittedBlocks).toEqual([])
    expect(list.committedBlocks?.map((block) => [block.name, block.size])).toEqual([
      [tusdBlockId(0), 5],
      [tusdBlockId(1), 5],
      [tusdBlockId(2), 16],
    ])
  })

  it("[T-29] tusd's deferred upload takes its length on a PATCH and finishes", async () => {
    expect((await head(client, url(DEFERRED))).headers).toMatchObject({ 'upload-offset': '5', 'upload-defer-length': '1' })
    const appended = await patch(client, url(DEFERRED), 5, 'fgh', { 'upload-length': '8' })
    expect([appended.status, appended.headers['upload-offset']]).toEqual([204, '8'])
    expect((await download(client, url(DEFERRED))).text).toBe('abcdefgh')
  })

  it("an upload of a tusd older than 2.9.1 (no sentinel) is resumed and completed with the draft", async () => {
    const offset = await retrieveOffset(draftClient, url(OLD), 8)
    expect([offset.status, offset.headers['upload-offset'], offset.headers['upload-complete']]).toEqual([204, '3', '?0'])
    const appended = await draftClient.request({ method: 'PATCH', url: url(OLD), headers: appendHeaders(8, 3, true), body: 'def' })
    expect(appended.status).toBe(200)
    const done = await retrieveOffset(draftClient, url(OLD), 8)
    expect([done.headers['upload-offset'], done.headers['upload-complete']]).toEqual(['6', '?1'])
    expect((await download(client, url(OLD))).text).toBe('abcdef')
  })

  it("puts 210 of tusd's blocks in index order whatever order Azure lists them in, and completes the upload with the draft", async () => {
    const offset = await retrieveOffset(draftClient, url(MANY), 10)
    expect(offset.headers['upload-offset']).toBe('210')
    const appended = await draftClient.request({ method: 'PATCH', url: url(MANY), headers: appendHeaders(10, 210, true), body: '0123456789' })
    expect(appended.status).toBe(200)
    expect((await download(client, url(MANY))).text).toBe(`${MANY_BYTES.join('')}0123456789`)
  })

  it('writes new uploads as tusd does: .info, the sentinel, blocks of 4-byte little-endian indexes', async () => {
    const created = await draftClient.request({ method: 'POST', url: gateway.basePath, headers: draft(8, { 'upload-complete': '?0' }), body: 'twelve bytes' })
    expect(created.status).toBe(201)
    const id = new URL(created.headers.location as string, 'http://x').pathname.split('/').pop() as string
    const container = made.store.container
    const info = (await container.getBlockBlobClient(`${PREFIX}/${id}.info`).downloadToBuffer()).toString('utf8')
    // tusd's fields, in its order, with its values; the gateway's own (createdAt) after them.
    expect(info.startsWith(tusdInfo(container.containerName, PREFIX, { id, metadata: {}, patches: [], finished: false, sentinel: true }).slice(0, -1))).toBe(true)
    const list = await container.getBlockBlobClient(`${PREFIX}/${id}`).getBlockList('all')
    expect(list.uncommittedBlocks?.map((block) => [block.name, block.size]).sort()).toEqual([
      ['////fw==', 1],
      [tusdBlockId(0), 12],
    ])
  })
})
