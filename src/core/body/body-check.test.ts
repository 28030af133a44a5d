import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { MemoryLocker } from '../../lock/memory-locker.js'
import { BodyIncomplete, ChecksumMismatch } from '../../model/errors.js'
import { FileStore } from '../../store/file/file-store.js'
import { UploadService, type RequestContext } from '../service.js'
import { uploadsOf, type Uploads } from '../uploads.test-support.js'
import { ChecksumCheck, createDigest } from './checksum.js'

const context = (): RequestContext => ({ signal: new AbortController().signal })

async function* chunks(...parts: string[]): AsyncGenerator<Uint8Array> {
  for (const part of parts) yield Buffer.from(part)
}

async function* failing(...parts: string[]): AsyncGenerator<Uint8Array> {
  yield* chunks(...parts)
  throw new Error('connection reset')
}

function sha1Check(text: string): ChecksumCheck {
  const digest = createDigest('sha1')
  digest.update(Buffer.from(text))
  return ChecksumCheck.of({ algorithm: 'sha1', digest: digest.digest() })
}

// A body with checks (tus checksum) counts all or nothing: the service cuts the upload back otherwise.
describe('checked bodies in the upload service', () => {
  let directory: string
  let uploads: Uploads

  beforeEach(async () => {
    directory = await mkdtemp(join(tmpdir(), 'body-check-'))
    const store = await FileStore.open({ directory })
    uploads = uploadsOf(new UploadService({ store, locker: new MemoryLocker(), maxSize: 0, acquireLockTimeoutMs: 5_000, networkTimeoutMs: 0 }))
  })
  afterEach(async () => {
    await uploads.close()
    await rm(directory, { recursive: true, force: true })
  })

  /** The bytes stored for an upload: the file store's data file. */
  const content = (id: string): Promise<string> => readFile(join(directory, id), 'utf8')

  it('[T-43] keeps the bytes when the checksum matches', async () => {
    const { id } = await uploads.create({ length: 11, metadata: {} }, context())
    const upload = await uploads.append(id, { offset: 0, body: chunks('hello ', 'world'), checks: [sha1Check('hello world')] }, context())
    expect(upload.offset).toBe(11)
    expect(await content(id)).toBe('hello world')
  })

  it('[T-43] cuts the upload back to where the request began when the checksum does not match', async () => {
    const { id } = await uploads.create({ length: 11, metadata: {} }, context())
    await uploads.append(id, { offset: 0, body: chunks('hello') }, context())
    await expect(
      uploads.append(id, { offset: 5, body: chunks(' worlx'), checks: [sha1Check(' world')] }, context()),
    ).rejects.toBeInstanceOf(ChecksumMismatch)
    expect((await uploads.status(id, context())).offset).toBe(5)
    expect(await content(id)).toBe('hello')
    // The upload goes on from there.
    await uploads.append(id, { offset: 5, body: chunks(' world'), checks: [sha1Check(' world')] }, context())
    expect(await content(id)).toBe('hello world')
  })

  it('keeps none of a checked body that ends early: a part of it cannot be verified', async () => {
    const { id } = await uploads.create({ length: 11, metadata: {} }, context())
    await expect(
      uploads.append(id, { offset: 0, body: failing('hello', ' wor'), checks: [sha1Check('hello world')] }, context()),
    ).rejects.toBeInstanceOf(BodyIncomplete)
    expect((await uploads.status(id, context())).offset).toBe(0)
    expect(await content(id)).toBe('')
  })

  it('[T-43] discards the bytes of a creation with upload whose checksum does not match', async () => {
    await expect(
      uploads.create({ length: 5, metadata: {}, body: chunks('hellx'), checks: [sha1Check('hello')] }, context()),
    ).rejects.toBeInstanceOf(ChecksumMismatch)
  })
})
