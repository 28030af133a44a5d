import { createHash, randomBytes } from 'node:crypto'
import { mkdtemp, open, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { spawnGateway, type GatewayProcess } from './gateway-process.js'
import { createUpload, idOf, offsetOf, openPatch, send, waitForStoredBytes } from './tus-http.js'
import { resumeWithTusJsClient } from './tus-js-resume.js'

// kill -9 in the middle of a PATCH: nothing gets to clean up or flush. The offset the restarted gateway
// reports is the size of the data file, so it never claims a byte that is not there, and a client
// resuming from it ends with exactly the source's bytes.

const SIZE = 8 * 1024 * 1024
const PIECE = 256 * 1024

const sha256 = (data: Buffer): string => createHash('sha256').update(data).digest('hex')

describe('kill -9 during a PATCH', () => {
  let workDir: string
  let uploadDir: string
  const gateways: GatewayProcess[] = []

  beforeEach(async () => {
    workDir = await mkdtemp(join(tmpdir(), 'rg-crash-'))
    uploadDir = join(workDir, 'uploads')
  })
  afterEach(async () => {
    await Promise.all(gateways.splice(0).map((gateway) => gateway.stop()))
    await rm(workDir, { recursive: true, force: true })
  })

  const start = async (): Promise<GatewayProcess> => {
    const gateway = await spawnGateway(['--upload-dir', uploadDir, '--log-level', 'silent'])
    gateways.push(gateway)
    return gateway
  }

  it('[T-21] keeps a consistent offset, and a tus client resumes to a byte-identical file', async () => {
    const sourcePath = join(workDir, 'source.bin')
    await writeFile(sourcePath, randomBytes(SIZE))
    const source = await open(sourcePath)

    const first = await start()
    const url = await createUpload(first.url, SIZE)
    const id = idOf(url)
    const stream = openPatch(url, 0, SIZE)
    // Send the file in pieces, read from disk as they go, and pull the plug halfway.
    for (let position = 0; position < SIZE / 2; position += PIECE) {
      const piece = Buffer.alloc(PIECE)
      await source.read(piece, 0, PIECE, position)
      await stream.write(piece)
    }
    await waitForStoredBytes(uploadDir, id, PIECE)
    first.child.kill('SIGKILL')
    expect(await first.exited).toEqual({ code: null, signal: 'SIGKILL' })
    expect(await stream.ended).toHaveProperty('closed')
    await source.close()

    const second = await start()
    const resumedUrl = new URL(new URL(url).pathname, second.origin).href
    const offset = await offsetOf(resumedUrl)
    expect(offset).toBeGreaterThan(0)
    expect(offset).toBeLessThanOrEqual(stream.written)

    // tus-js-client, given the upload URL, asks for the offset (HEAD) and sends the rest from there.
    const data = await readFile(sourcePath)
    const requests = await resumeWithTusJsClient(resumedUrl, data)
    expect(requests).toEqual(['HEAD', `PATCH ${offset}`])

    const download = await fetch(resumedUrl)
    expect(download.status).toBe(200)
    expect(sha256(Buffer.from(await download.arrayBuffer()))).toBe(sha256(data))
    expect((await send('HEAD', resumedUrl)).headers['upload-offset']).toBe(String(SIZE))
  })
})
