import { randomBytes } from 'node:crypto'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import * as tus from 'tus-js-client'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { spawnGateway, type GatewayProcess } from '../resilience/gateway-process.js'
import { curl, decodeTusMetadata, tusMetadata } from './curl.js'
import { EXAMPLE_HOOK_SERVER, recordedHooks, startPythonHookServer, type PythonHookServer, type RecordedHook } from './hook-servers.js'

// The README's example hook server (Python, http.server) behind a gateway process, driven by tus-js-client,
// curl and draft clients: what the hooks decide reaches the clients, and what the gateway sends is tusd's JSON.

const ALL_EVENTS = 'pre-access,pre-create,post-create,post-receive,pre-terminate,post-terminate,pre-finish,post-finish'
const T = ['-H', 'Tus-Resumable: 1.0.0']

let workDir: string
let uploadDir: string
let record: string
let hookServer: PythonHookServer
let gateway: GatewayProcess

beforeAll(async () => {
  workDir = await mkdtemp(join(tmpdir(), 'http-hooks-'))
  uploadDir = join(workDir, 'uploads')
  record = join(workDir, 'hooks.jsonl')
  hookServer = await startPythonHookServer(EXAMPLE_HOOK_SERVER, ['--record', record])
  gateway = await spawnGateway([
    '--upload-dir', uploadDir,
    '--hooks-http', hookServer.url,
    '--hooks-enabled-events', ALL_EVENTS,
    '--progress-hooks-interval', '100ms',
    '--experimental-protocol',
    '--log-level', 'warn',
  ])
})

afterAll(async () => {
  await gateway?.stop()
  await hookServer?.stop()
  await rm(workDir, { recursive: true, force: true })
})

/** The hooks recorded for one upload (by its id, or by the URI of its requests), waiting until `until` holds. */
async function hooksOf(id: string, until: (hooks: RecordedHook[]) => boolean = () => true): Promise<RecordedHook[]> {
  let hooks: RecordedHook[] = []
  await expect
    .poll(async () => {
      hooks = (await recordedHooks(record)).filter((hook) => hook.Event.Upload.ID === id || hook.Event.HTTPRequest.URI.endsWith(`/${id}`))
      return until(hooks)
    }, { timeout: 10_000 })
    .toBe(true)
  return hooks
}

const types = (hooks: RecordedHook[]): string[] => hooks.map((hook) => hook.Type)
const idOf = (url: string): string => url.slice(url.lastIndexOf('/') + 1)

function tusUpload(data: Buffer, options: tus.UploadOptions): Promise<tus.Upload> {
  return new Promise((resolve, reject) => {
    const upload = new tus.Upload(data, {
      endpoint: gateway.url,
      retryDelays: [],
      storeFingerprintForResuming: false,
      ...options,
      onSuccess: () => resolve(upload),
      onError: reject,
    })
    upload.start()
  })
}

describe('HTTP hooks with the example hook server', () => {
  it('tus-js-client: pre-create gives a prefixed id and rewrites the metadata; post-hooks come in order', async () => {
    const data = randomBytes(300_000)
    const upload = await tusUpload(data, { metadata: { filename: 'photo.jpg', filetype: 'image/jpeg' }, chunkSize: 100_000 })
    const url = upload.url as string
    expect(url).toMatch(/\/files\/prefix-[0-9a-f]{32}$/)
    const id = idOf(url)
    const head = await curl(url, ['-I', ...T])
    expect(Object.keys(decodeTusMetadata(head.headers['upload-metadata'])).sort()).toEqual(['creation_time', 'filename'])
    expect(decodeTusMetadata(head.headers['upload-metadata']).filename).toBe('photo.jpg')

    const hooks = await hooksOf(id, (seen) => types(seen).includes('post-finish'))
    const posts = types(hooks).filter((type) => type.startsWith('post-'))
    // created before received before finished; every post-receive between.
    expect(posts[0]).toBe('post-create')
    expect(posts.at(-1)).toBe('post-finish')
    expect(posts.slice(1, -1).every((type) => type === 'post-receive')).toBe(true)
    const finish = hooks.find((hook) => hook.Type === 'post-finish') as RecordedHook
    expect(finish.Event.Upload).toMatchObject({ ID: id, Size: 300_000, Offset: 300_000, IsPartial: false, IsFinal: false, PartialUploads: null })
    expect(finish.Event.Upload.Storage).toEqual({ Type: 'filestore', Path: join(uploadDir, id), InfoPath: join(uploadDir, `${id}.info`) })
    expect(types(hooks)).toContain('pre-finish')
    // pre-create saw no id yet, and the metadata the client sent.
    const preCreates = (await recordedHooks(record)).filter((hook) => hook.Type === 'pre-create' && hook.Event.Upload.MetaData['filename'] === 'photo.jpg')
    expect(preCreates.at(-1)?.Event.Upload).toMatchObject({ ID: '', Offset: 0, Storage: null, MetaData: { filename: 'photo.jpg', filetype: 'image/jpeg' } })
  })

  it('tus-js-client: an upload without a filename is refused with the answer the hook chose', async () => {
    const error = (await tusUpload(randomBytes(10), { metadata: { filetype: 'text/plain' } }).catch((thrown: unknown) => thrown)) as tus.DetailedError
    expect(error).toBeInstanceOf(Error)
    expect(error.originalResponse?.getStatus()).toBe(400)
    expect(error.originalResponse?.getBody()).toBe('no filename provided')
    expect(error.originalResponse?.getHeader('X-Some-Header')).toBe('yes')
  })

  it('curl: the hook merges its headers into the 201, and refuses to terminate a protected upload', async () => {
    const created = await curl(gateway.url, ['-X', 'POST', ...T, '-H', 'Upload-Length: 5', '-H', `Upload-Metadata: ${tusMetadata({ filename: 'keep.txt', protected: 'yes' })}`])
    expect(created.status).toBe(201)
    expect(created.headers['x-upload-checked']).toBe('yes')
    const url = created.headers.location as string
    const refused = await curl(url, ['-X', 'DELETE', ...T])
    expect(refused.status).toBe(409)
    expect(refused.body).toBe('this upload is protected')
    expect((await curl(url, ['-I', ...T])).status).toBe(200)

    const other = (await curl(gateway.url, ['-X', 'POST', ...T, '-H', 'Upload-Length: 5', '-H', `Upload-Metadata: ${tusMetadata({ filename: 'gone.txt' })}`])).headers.location as string
    expect((await curl(other, ['-X', 'DELETE', ...T])).status).toBe(204)
    const hooks = await hooksOf(idOf(other), (seen) => types(seen).includes('post-terminate'))
    expect(types(hooks).filter((type) => type.endsWith('-terminate'))).toEqual(['pre-terminate', 'post-terminate'])
  })

  it('curl: post-receive stops an upload mid-way; the client gets the hook answer and the upload is removed', async () => {
    const file = join(workDir, 'big.bin')
    await writeFile(file, randomBytes(2_000_000))
    const created = await curl(gateway.url, ['-X', 'POST', ...T, '-H', 'Upload-Length: 2000000', '-H', `Upload-Metadata: ${tusMetadata({ filename: 'big.bin', stop_after: '100000' })}`])
    const url = created.headers.location as string
    const stopped = await curl(url, ['-X', 'PATCH', ...T, '-H', 'Content-Type: application/offset+octet-stream', '-H', 'Upload-Offset: 0', '--limit-rate', '200K', '--data-binary', `@${file}`])
    expect(stopped.status).toBe(400)
    expect(stopped.body).toBe('stopped by the hook server')
    expect(stopped.headers['x-stopped']).toBe('yes')
    expect((await curl(url, ['-I', ...T])).status).toBe(404)
    const hooks = await hooksOf(idOf(url), (seen) => types(seen).includes('post-terminate'))
    const receives = hooks.filter((hook) => hook.Type === 'post-receive')
    expect(receives.some((hook) => hook.Event.Upload.Offset >= 100_000)).toBe(true)
    expect(receives.every((hook) => hook.Event.Upload.Offset < 2_000_000)).toBe(true)
  })

  it('pre-access refuses requests of anyone but the owner, with the hook answer', async () => {
    const created = await curl(gateway.url, ['-X', 'POST', ...T, '-H', 'Upload-Length: 3', '-H', `Upload-Metadata: ${tusMetadata({ filename: 'a.txt', owner: 'alice' })}`])
    const url = created.headers.location as string
    const patchArgs = ['-X', 'PATCH', ...T, '-H', 'Content-Type: application/offset+octet-stream', '-H', 'Upload-Offset: 0', '--data-binary', 'abc']
    const refused = await curl(url, patchArgs)
    expect(refused.status).toBe(403)
    expect(refused.headers['content-type']).toBe('application/json')
    expect(JSON.parse(refused.body)).toEqual({ message: `upload ${idOf(url)} belongs to someone else` })
    expect((await curl(url, ['-I', ...T])).status).toBe(403)
    expect((await curl(url, [...patchArgs, '-H', 'Authorization: Bearer alice'])).status).toBe(204)
    const accesses = (await hooksOf(idOf(url))).filter((hook) => hook.Type === 'pre-access')
    expect(accesses.map((hook) => [hook.Event.HTTPRequest.Method, hook.Event.Action])).toEqual([
      ['PATCH', 'append'],
      ['HEAD', 'status'],
      ['PATCH', 'append'],
    ])
  })

  it('a draft client (curl, interop 6) creates an upload through the same hooks', async () => {
    const file = join(workDir, 'draft.bin')
    await writeFile(file, randomBytes(50_000))
    const created = await curl(gateway.url, [
      '-X', 'POST',
      '-H', 'Upload-Draft-Interop-Version: 6',
      '-H', 'Upload-Complete: ?1',
      '-H', 'Content-Type: application/octet-stream',
      '-H', 'Content-Disposition: attachment; filename="draft.bin"',
      '--data-binary', `@${file}`,
    ])
    expect(created.status).toBeLessThan(300)
    const location = created.headers.location as string
    expect(location).toMatch(/\/files\/prefix-[0-9a-f]{32}$/)
    const hooks = await hooksOf(idOf(location), (seen) => types(seen).includes('post-finish'))
    expect(types(hooks).filter((type) => type.startsWith('post-'))).toEqual(['post-create', 'post-receive', 'post-finish'])
    expect(hooks.find((hook) => hook.Type === 'post-finish')?.Event.HTTPRequest.Header['Upload-Draft-Interop-Version']).toEqual(['6'])
  })

  it('tus-js-client speaking the draft (ietf-draft-05) meets the same refusal, as a problem whose detail is the hook body', async () => {
    const error = (await tusUpload(randomBytes(10), { protocol: 'ietf-draft-05' }).catch((thrown: unknown) => thrown)) as tus.DetailedError
    expect(error.originalResponse?.getStatus()).toBe(400)
    expect(error.originalResponse?.getHeader('Content-Type')).toBe('application/problem+json')
    expect(JSON.parse(error.originalResponse?.getBody() ?? '{}')).toMatchObject({ status: 400, detail: 'no filename provided' })
    expect(error.originalResponse?.getHeader('X-Some-Header')).toBe('yes')
  })

  it('sends the JSON byte for byte as tusd does (curl PATCH, post-finish)', async () => {
    const created = await curl(gateway.url, ['-X', 'POST', ...T, '-H', 'Upload-Length: 11', '-H', `Upload-Metadata: ${tusMetadata({ filename: 'hello.txt' })}`])
    const url = created.headers.location as string
    const id = idOf(url)
    await curl(url, ['-X', 'PATCH', ...T, '-H', 'Content-Type: application/offset+octet-stream', '-H', 'Upload-Offset: 0', '--data-binary', 'hello world'])
    const finish = (await hooksOf(id, (seen) => types(seen).includes('post-finish'))).find((hook) => hook.Type === 'post-finish') as RecordedHook
    const creationTime = decodeTusMetadata((await curl(url, ['-I', ...T])).headers['upload-metadata']).creation_time as string
    const remote = finish.Event.HTTPRequest.RemoteAddr
    expect(remote).toMatch(/^127\.0\.0\.1:\d+$/)
    const expected =
      `{"Type":"post-finish","Event":{"Upload":{"ID":"${id}","Size":11,"SizeIsDeferred":false,"Offset":11,` +
      `"MetaData":{"creation_time":"${creationTime}","filename":"hello.txt"},"IsPartial":false,"IsFinal":false,"PartialUploads":null,` +
      `"Storage":{"InfoPath":"${join(uploadDir, `${id}.info`)}","Path":"${join(uploadDir, id)}","Type":"filestore"}},` +
      `"HTTPRequest":{"Method":"PATCH","URI":"/files/${id}","RemoteAddr":"${remote}",` +
      `"Header":{"Accept":["*/*"],"Content-Length":["11"],"Content-Type":["application/offset+octet-stream"],"Host":["127.0.0.1:${gateway.port}"],` +
      `"Tus-Resumable":["1.0.0"],"Upload-Offset":["0"],"User-Agent":["curl/${await curlVersion()}"]}}}}`
    expect(finish.raw).toBe(expected)
  })

  it("gives every payload tusd's fields in tusd's order, and HTTP/2 requests their Host", async () => {
    const created = await curl(gateway.url, ['--http2-prior-knowledge', '-X', 'POST', ...T, '-H', 'Upload-Length: 0', '-H', `Upload-Metadata: ${tusMetadata({ filename: 'empty' })}`])
    expect(created.status).toBe(201)
    const hooks = await hooksOf(idOf(created.headers.location as string), (seen) => types(seen).includes('post-finish'))
    const create = hooks.find((hook) => hook.Type === 'post-create') as RecordedHook
    expect(create.Event.HTTPRequest.Header['Host']).toEqual([`127.0.0.1:${gateway.port}`])
    expect(Object.keys(create.Event.HTTPRequest.Header).some((name) => name.startsWith(':'))).toBe(false)
    for (const hook of await recordedHooks(record)) {
      expect(Object.keys(hook).filter((key) => key !== 'raw')).toEqual(['Type', 'Event'])
      expect(Object.keys(hook.Event)).toEqual(hook.Type === 'pre-access' ? ['Upload', 'HTTPRequest', 'Action'] : ['Upload', 'HTTPRequest'])
      expect(Object.keys(hook.Event.Upload)).toEqual(['ID', 'Size', 'SizeIsDeferred', 'Offset', 'MetaData', 'IsPartial', 'IsFinal', 'PartialUploads', 'Storage'])
      expect(Object.keys(hook.Event.HTTPRequest)).toEqual(['Method', 'URI', 'RemoteAddr', 'Header'])
      // Go's map keys come sorted; every header name is canonical; every value a list.
      const names = Object.keys(hook.Event.HTTPRequest.Header)
      expect(names).toEqual([...names].sort())
      for (const name of names) expect(name).toMatch(/^[A-Z0-9][a-z0-9]*(-[A-Z0-9]?[a-z0-9]*)*$/)
      expect(Object.values(hook.Event.HTTPRequest.Header).every((values) => Array.isArray(values))).toBe(true)
    }
  })
})

async function curlVersion(): Promise<string> {
  const { execFile } = await import('node:child_process')
  return new Promise((resolve, reject) => execFile('curl', ['--version'], (error, stdout) => (error === null ? resolve(/^curl (\S+)/.exec(stdout)?.[1] ?? '') : reject(error))))
}
