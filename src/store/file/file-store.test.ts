import { randomBytes } from 'node:crypto'
import { chmod, copyFile, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { UploadNotFound } from '../../model/errors.js'
import { runStoreSuite } from '../conformance.suite.js'
import { InvalidInfoFile } from '../tusd-info.js'
import { FileStore } from './file-store.js'
import type { FileUpload } from './file-upload.js'

// Resolved from this file, not the working directory: CI runs a fresh clone with shared/ beside main/.
const FIXTURES = fileURLToPath(new URL('../../../../shared/fixtures/tusd-filestore/', import.meta.url))
const FINISHED = '3f1c9a7e5b2d4c6e8f0a1b2c3d4e5f60'
const RESUMABLE = '8a2b4c6d8e0f1a3b5c7d9e1f2a4b6c8d'
const DEFERRED = 'c0ffee00c0ffee00c0ffee00c0ffee00'
const NEVER = new AbortController().signal

async function temporaryDirectory(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'file-store-'))
}

runStoreSuite('file with fsync', {
  async make() {
    const directory = await temporaryDirectory()
    return { store: await FileStore.open({ directory, fsync: true }), cleanup: () => rm(directory, { recursive: true, force: true }) }
  },
})

runStoreSuite('file (default: no fsync)', {
  async make() {
    const directory = await temporaryDirectory()
    return { store: await FileStore.open({ directory }), cleanup: () => rm(directory, { recursive: true, force: true }) }
  },
})

async function* body(...parts: string[]): AsyncGenerator<Uint8Array> {
  for (const part of parts) yield Buffer.from(part)
}

async function readAll(upload: FileUpload): Promise<string> {
  const chunks: Buffer[] = []
  for await (const chunk of await upload.read(undefined, NEVER)) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks).toString('utf8')
}

const newId = (): string => randomBytes(16).toString('hex')

/** How many file descriptors this process has open. */
async function openDescriptors(): Promise<number> {
  return (await readdir('/proc/self/fd')).length
}

describe('FileStore', () => {
  let directory: string
  let store: FileStore
  const create = (init: { length?: number; metadata?: Record<string, string | null> } = {}): Promise<FileUpload> =>
    store.create({ id: newId(), metadata: {}, ...init }, NEVER)
  const open = (id: string): Promise<FileUpload> => store.open(id, NEVER)

  beforeEach(async () => {
    directory = await temporaryDirectory()
    store = await FileStore.open({ directory })
  })
  afterEach(async () => {
    await rm(directory, { recursive: true, force: true })
  })

  it('creates a missing directory, parents included', async () => {
    const nested = join(directory, 'a', 'b')
    const opened = await FileStore.open({ directory: nested })
    expect((await stat(nested)).isDirectory()).toBe(true)
    expect(opened.directory).toBe(nested)
  })

  it('writes .info with tusd field names, and our own fields in camelCase', async () => {
    const upload = await create({ length: 10, metadata: { filename: 'a.txt', flag: null } })
    const { id } = upload.state
    const info = JSON.parse(await readFile(join(directory, `${id}.info`), 'utf8'))
    expect(info).toEqual({
      ID: id,
      Size: 10,
      SizeIsDeferred: false,
      Offset: 0,
      MetaData: { filename: 'a.txt', flag: '' },
      IsPartial: false,
      IsFinal: false,
      PartialUploads: null,
      Storage: { Type: 'filestore', Path: join(directory, id), InfoPath: join(directory, `${id}.info`) },
      createdAt: expect.any(Number),
      metadataKeysWithoutValue: ['flag'],
    })
    expect((await stat(join(directory, id))).size).toBe(0)
    await upload.update({ awaitedBy: ['f1'], completionPending: true }, NEVER)
    expect(JSON.parse(await readFile(join(directory, `${id}.info`), 'utf8'))).toEqual({ ...info, awaitedBy: ['f1'], completionPending: true })
  })

  it('writes a deferred length as tusd does: Size 0, SizeIsDeferred true', async () => {
    const { id } = (await create()).state
    const info = JSON.parse(await readFile(join(directory, `${id}.info`), 'utf8'))
    expect(info).toMatchObject({ Size: 0, SizeIsDeferred: true, MetaData: {} })
    expect(info).not.toHaveProperty('metadataKeysWithoutValue')
  })

  it('refuses to create an upload over an existing one, whose files stay', async () => {
    const upload = await create({ length: 3 })
    await upload.append(body('abc'), NEVER)
    const { id } = upload.state
    await expect(store.create({ id, length: 9, metadata: {} }, NEVER)).rejects.toMatchObject({ code: 'EEXIST' })
    expect((await open(id)).state).toMatchObject({ offset: 3, length: 3 })
  })

  it('never rewrites .info for bytes, nor to finish: only for changes to its fields', async () => {
    const upload = await create({ length: 6 })
    const path = join(directory, `${upload.state.id}.info`)
    const before = await stat(path)
    await upload.append(body('abc'), NEVER)
    const again = await open(upload.state.id)
    await again.append(body('def'), NEVER)
    await again.finish(NEVER)
    const after = await stat(path)
    expect({ ino: after.ino, mtimeMs: after.mtimeMs }).toEqual({ ino: before.ino, mtimeMs: before.mtimeMs })
    await again.update({ awaitedBy: ['x'] }, NEVER)
    expect((await stat(path)).ino).not.toBe(before.ino)
  })

  it('leaves no temporary files behind', async () => {
    const upload = await create({ metadata: { a: null } })
    await upload.append(body('abc'), NEVER)
    await upload.update({ length: 3 }, NEVER)
    expect((await readdir(directory)).sort()).toEqual([upload.state.id, `${upload.state.id}.info`])
  })

  it('closes the data file it keeps open for an append when none follows', async () => {
    const before = await openDescriptors()
    const uploads = await Promise.all(Array.from({ length: 20 }, () => create({ length: 1 })))
    await new Promise((resolve) => setImmediate(resolve))
    // Closing is asynchronous; give the thread pool a moment.
    for (let tries = 0; tries < 50 && (await openDescriptors()) > before; tries++) await new Promise((resolve) => setTimeout(resolve, 10))
    expect(await openDescriptors()).toBeLessThanOrEqual(before)
    // A late append opens the file again.
    const first = uploads[0] as FileUpload
    expect((await first.append(body('x'), NEVER)).offset).toBe(1)
  })

  it('ignores a leftover temporary .info from an interrupted write', async () => {
    const { id } = (await create({ length: 5, metadata: { name: 'kept' } })).state
    await writeFile(join(directory, `${id}.info.0123456789abcdef.tmp`), '{"ID":"trunc')
    const upload = await open(id)
    expect(upload.state).toMatchObject({ id, offset: 0, length: 5, metadata: { name: 'kept' } })
    expect(await upload.update({ completionPending: true }, NEVER)).toMatchObject({ length: 5, completionPending: true })
  })

  it('reports an upload whose data file is missing as not found, and does not make it again', async () => {
    const upload = await create({ length: 5 })
    const { id } = upload.state
    await new Promise((resolve) => setImmediate(resolve))
    await rm(join(directory, id))
    await expect(open(id)).rejects.toBeInstanceOf(UploadNotFound)
    await expect(upload.append(body('x'), NEVER)).rejects.toBeInstanceOf(UploadNotFound)
    expect(await readdir(directory)).toEqual([`${id}.info`])
  })

  it('reports a data file without .info as not found', async () => {
    const id = newId()
    await writeFile(join(directory, id), 'orphan')
    await expect(open(id)).rejects.toBeInstanceOf(UploadNotFound)
  })

  it('reports an empty .info as not found: a creation in progress, or killed before it wrote .info', async () => {
    const id = newId()
    await writeFile(join(directory, id), '')
    await writeFile(join(directory, `${id}.info`), '')
    await expect(open(id)).rejects.toMatchObject({ code: 'UPLOAD_NOT_FOUND', id })
  })

  it('rejects a malformed .info with InvalidInfoFile, not UploadNotFound', async () => {
    const { id } = (await create({ length: 5 })).state
    await writeFile(join(directory, `${id}.info`), '{"ID":')
    await expect(open(id)).rejects.toBeInstanceOf(InvalidInfoFile)
    await writeFile(join(directory, `${id}.info`), JSON.stringify({ ID: id, Size: -1, SizeIsDeferred: false }))
    await expect(open(id)).rejects.toBeInstanceOf(InvalidInfoFile)
  })

  it('refuses ids that could name a file outside its uploads, without touching it', async () => {
    const outside = join(directory, 'outside')
    await mkdir(join(directory, 'uploads'))
    const inner = await FileStore.open({ directory: join(directory, 'uploads') })
    await writeFile(outside, 'secret')
    await writeFile(`${outside}.info`, JSON.stringify({ ID: 'outside', Size: 6, SizeIsDeferred: false, MetaData: {} }))
    for (const id of ['../outside', '..', 'outside.info', '%2e%2e%2foutside']) {
      expect(inner.isValidId(id)).toBe(false)
      await expect(inner.open(id, NEVER)).rejects.toBeInstanceOf(UploadNotFound)
      await expect(inner.create({ id, metadata: {} }, NEVER)).rejects.toBeInstanceOf(RangeError)
    }
    expect(await readFile(outside, 'utf8')).toBe('secret')
    expect(await readdir(join(directory, 'uploads'))).toEqual([])
  })

  it('reads "" as "" from a .info without our list of value-less keys', async () => {
    const id = newId()
    const info = {
      ...{ ID: id, Size: 1, SizeIsDeferred: false, Offset: 0, MetaData: { empty: '' } },
      ...{ IsPartial: false, IsFinal: false, PartialUploads: null, Storage: null },
    }
    await writeFile(join(directory, `${id}.info`), JSON.stringify(info))
    await writeFile(join(directory, id), '')
    const upload = await open(id)
    expect(upload.state.metadata).toEqual({ empty: '' })
    expect(upload.state.createdAt).toBeUndefined()
  })

  it('keeps fields it does not know when it declares a length', async () => {
    const { id } = (await create()).state
    const path = join(directory, `${id}.info`)
    await writeFile(path, JSON.stringify({ ...JSON.parse(await readFile(path, 'utf8')), FutureField: [1, 2] }))
    await (await open(id)).update({ length: 7 }, NEVER)
    expect(JSON.parse(await readFile(path, 'utf8'))).toMatchObject({ Size: 7, SizeIsDeferred: false, FutureField: [1, 2] })
  })

  it('reads only the bytes its handle knows of', async () => {
    const upload = await create({ length: 3 })
    await upload.append(body('abc'), NEVER)
    const opened = await open(upload.state.id)
    await writeFile(join(directory, upload.state.id), 'abcdef')
    expect(await readAll(opened)).toBe('abc')
    await expect(opened.read({ start: 2, end: 4 }, NEVER)).rejects.toBeInstanceOf(RangeError)
  })

  describe('a directory written by tusd', () => {
    beforeEach(async () => {
      // The fixture directory is read-only: work on copies, made writable (copyFile keeps the mode).
      for (const name of await readdir(FIXTURES)) {
        if (name === 'README.md') continue
        await copyFile(join(FIXTURES, name), join(directory, name))
        await chmod(join(directory, name), 0o644)
      }
    })

    it('finds the fixtures relative to this test file', async () => {
      const expected = [FINISHED, RESUMABLE, DEFERRED].flatMap((id) => [id, `${id}.info`])
      expect((await readdir(FIXTURES)).sort()).toEqual([...expected, 'README.md'].sort())
    })

    it('loads a finished upload', async () => {
      const upload = await open(FINISHED)
      const metadata = { filename: 'hello.txt', filetype: 'text/plain' }
      // updatedAt: the data file's modification time (when the fixture was copied here).
      // storage: where the bytes are now (hooks see it), not the path tusd wrote into .info.
      const storage = { Type: 'filestore', Path: join(directory, FINISHED), InfoPath: join(directory, `${FINISHED}.info`) }
      expect(upload.state).toEqual({ id: FINISHED, offset: 16, length: 16, metadata, updatedAt: expect.any(Number), storage })
      expect(upload.finished).toBe(true)
      expect(await readAll(upload)).toBe('hello from tusd\n')
    })

    it('takes the offset from the data file, not from Offset, and resumes there', async () => {
      const upload = await open(RESUMABLE)
      expect(upload.state).toMatchObject({ offset: 10, length: 26, metadata: { filename: 'alphabet.txt' } })
      expect((await upload.append(body('abcdefgh', 'ijklmnop'), NEVER)).offset).toBe(26)
      const done = await open(RESUMABLE)
      expect(done.state).toMatchObject({ offset: 26, length: 26 })
      await done.finish(NEVER)
      expect(await readAll(done)).toBe('0123456789abcdefghijklmnop')
    })

    it('loads a deferred length as undefined and declares it', async () => {
      const upload = await open(DEFERRED)
      expect(upload.state).toMatchObject({ id: DEFERRED, offset: 5, metadata: { filename: 'deferred.bin' } })
      expect(upload.state.length).toBeUndefined()
      expect(await upload.update({ length: 9 }, NEVER)).toMatchObject({ offset: 5, length: 9 })
      expect((await open(DEFERRED)).state).toMatchObject({ offset: 5, length: 9 })
      const info = JSON.parse(await readFile(join(directory, `${DEFERRED}.info`), 'utf8'))
      // tusd's own fields survive the rewrite, Storage.Path still naming where tusd kept it.
      const storage = { Type: 'filestore', Path: `/var/lib/tusd/data/${DEFERRED}` }
      expect(info).toMatchObject({ ID: DEFERRED, Size: 9, SizeIsDeferred: false, Storage: storage })
    })

    it('terminates a tusd upload', async () => {
      await (await open(FINISHED)).terminate(NEVER)
      expect((await readdir(directory)).filter((name) => name.startsWith(FINISHED))).toEqual([])
    })
  })
})
