import { randomBytes } from 'node:crypto'
import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import * as tus from 'tus-js-client'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { spawnGateway, type GatewayProcess } from '../resilience/gateway-process.js'
import { curl, decodeTusMetadata, tusMetadata } from './curl.js'
import { recordedHooks, type RecordedHook } from './hook-servers.js'

// The README's example file hooks (shell scripts with jq, examples/hooks/file/) behind a gateway process:
// the same decisions as the HTTP example, through --hooks-dir.

const EXAMPLES = fileURLToPath(new URL('../../examples/hooks/file/', import.meta.url))
const T = ['-H', 'Tus-Resumable: 1.0.0']

let workDir: string
let record: string
let gateway: GatewayProcess

beforeAll(async () => {
  workDir = await mkdtemp(join(tmpdir(), 'file-hooks-'))
  record = join(workDir, 'hooks.jsonl')
  const hooksDir = join(workDir, 'hooks')
  await cp(EXAMPLES, hooksDir, { recursive: true })
  // A missing hook file is no hook: terminations go on without post-terminate.
  await rm(join(hooksDir, 'post-terminate'))
  gateway = await spawnGateway(
    [
      '--upload-dir', join(workDir, 'uploads'),
      '--hooks-dir', hooksDir,
      '--hooks-enabled-events', 'pre-access,pre-create,post-create,post-receive,pre-terminate,post-terminate,post-finish',
      '--progress-hooks-interval', '100ms',
      '--log-level', 'warn',
    ],
    { env: { HOOK_RECORD: record } },
  )
})

afterAll(async () => {
  await gateway?.stop()
  await rm(workDir, { recursive: true, force: true })
})

const idOf = (url: string): string => url.slice(url.lastIndexOf('/') + 1)
const types = (hooks: RecordedHook[]): string[] => hooks.map((hook) => hook.Type)

async function hooksOf(id: string, until: (hooks: RecordedHook[]) => boolean): Promise<RecordedHook[]> {
  let hooks: RecordedHook[] = []
  await expect
    .poll(async () => {
      hooks = (await recordedHooks(record)).filter((hook) => hook.Event.Upload.ID === id || hook.Event.HTTPRequest.URI.endsWith(`/${id}`))
      return until(hooks)
    }, { timeout: 10_000 })
    .toBe(true)
  return hooks
}

function tusUpload(data: Buffer, metadata: Record<string, string>): Promise<tus.Upload> {
  return new Promise((resolve, reject) => {
    const upload = new tus.Upload(data, {
      endpoint: gateway.url,
      retryDelays: [],
      storeFingerprintForResuming: false,
      metadata,
      onSuccess: () => resolve(upload),
      onError: reject,
    })
    upload.start()
  })
}

describe('file hooks with the example scripts', () => {
  it('tus-js-client: a prefixed id, rewritten metadata, hooks in order, TUS_* in their environment', async () => {
    const upload = await tusUpload(randomBytes(200_000), { filename: 'notes.txt', filetype: 'text/plain' })
    const url = upload.url as string
    expect(url).toMatch(/\/files\/prefix-[0-9a-f]{32}$/)
    const metadata = decodeTusMetadata((await curl(url, ['-I', ...T])).headers['upload-metadata'])
    expect(Object.keys(metadata).sort()).toEqual(['creation_time', 'filename'])
    const hooks = await hooksOf(idOf(url), (seen) => types(seen).includes('post-finish'))
    const posts = types(hooks).filter((type) => type.startsWith('post-'))
    expect(posts[0]).toBe('post-create')
    expect(posts.at(-1)).toBe('post-finish')
    // The scripts print what they got from the environment on stderr, which the gateway passes on.
    await gateway.waitForStderr(new RegExp(`post-finish: upload ${idOf(url)} \\(200000 bytes\\)`))
    await gateway.waitForStderr(new RegExp(`upload ${idOf(url)} is at 200000 of 200000 bytes`))
  })

  it('tus-js-client: refused without a filename, with the answer the script printed', async () => {
    const error = (await tusUpload(randomBytes(10), {}).catch((thrown: unknown) => thrown)) as tus.DetailedError
    expect(error.originalResponse?.getStatus()).toBe(400)
    expect(error.originalResponse?.getBody()).toBe('no filename provided')
    expect(error.originalResponse?.getHeader('X-Some-Header')).toBe('yes')
  })

  it('curl: post-receive stops an upload mid-way; the upload is removed', async () => {
    const file = join(workDir, 'big.bin')
    await writeFile(file, randomBytes(1_000_000))
    const created = await curl(gateway.url, ['-X', 'POST', ...T, '-H', 'Upload-Length: 1000000', '-H', `Upload-Metadata: ${tusMetadata({ filename: 'big.bin', stop_after: '100000' })}`])
    expect(created.headers['x-upload-checked']).toBe('yes')
    const url = created.headers.location as string
    const stopped = await curl(url, ['-X', 'PATCH', ...T, '-H', 'Content-Type: application/offset+octet-stream', '-H', 'Upload-Offset: 0', '--limit-rate', '200K', '--data-binary', `@${file}`])
    expect(stopped.status).toBe(400)
    expect(stopped.body).toBe('stopped by the hook')
    expect(stopped.headers['x-stopped']).toBe('yes')
    expect((await curl(url, ['-I', ...T])).status).toBe(404)
  })

  it('curl: a protected upload is kept, another removed (no post-terminate file: no hook)', async () => {
    const create = async (metadata: Record<string, string>): Promise<string> =>
      (await curl(gateway.url, ['-X', 'POST', ...T, '-H', 'Upload-Length: 5', '-H', `Upload-Metadata: ${tusMetadata(metadata)}`])).headers.location as string
    const kept = await create({ filename: 'a', protected: '1' })
    const refused = await curl(kept, ['-X', 'DELETE', ...T])
    expect([refused.status, refused.body]).toEqual([409, 'this upload is protected'])
    const gone = await create({ filename: 'b' })
    expect((await curl(gone, ['-X', 'DELETE', ...T])).status).toBe(204)
    expect((await curl(gone, ['-I', ...T])).status).toBe(404)
  })

  it('pre-access: only the owner reaches the upload', async () => {
    const created = await curl(gateway.url, ['-X', 'POST', ...T, '-H', 'Upload-Length: 3', '-H', `Upload-Metadata: ${tusMetadata({ filename: 'a', owner: 'bob' })}`])
    const url = created.headers.location as string
    const refused = await curl(url, ['-X', 'DELETE', ...T])
    expect(refused.status).toBe(403)
    expect(JSON.parse(refused.body)).toEqual({ message: `upload ${idOf(url)} belongs to someone else` })
    expect((await curl(url, ['-I', ...T, '-H', 'Authorization: Bearer bob'])).status).toBe(200)
  })
})
