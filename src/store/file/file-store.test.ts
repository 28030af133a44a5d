import { chmod, copyFile, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { UploadNotFound } from '../../model/errors.js'
import { newUploadId } from '../../core/upload-id.js'
import { runStoreSuite } from '../conformance.suite.js'
import { FileStore } from './file-store.js'
import { InvalidInfoFile } from './info-file.js'

// Resolved from this file, not the working directory: CI runs a fresh clone with shared/ beside main/.
const FIXTURES = fileURLToPath(new URL('../../../../shared/fixtures/tusd-filestore/', import.meta.url))
const FINISHED = '3f1c9a7e5b2d4c6e8f0a1b2c3d4e5f60'
const RESUMABLE = '8a2b4c6d8e0f1a3b5c7d9e1f2a4b6c8d'
const DEFERRED = 'c0ffee00c0ffee00c0ffee00c0ffee00'

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
    const store = await FileStore.open({ directory })
    return { store, cleanup: () => rm(directory, { recursive: true, force: true }) }
  },
})

async function* body(...parts: string[]): AsyncGenerator<Uint8Array> {
  for (const part of parts) yield Buffer.from(part)
}

async function readAll(store: FileStore, id: string): Promise<string> {
  const chunks: Buffer[] = []
  for await (const chunk of await store.read(id)) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks).toString('utf8')
}

describe('FileStore', () => {
  let directory: string
  let store: FileStore

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
    const id = newUploadId()
    await store.create({ id, length: 10, metadata: { filename: 'a.txt', flag: null } })
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
  })

  it('writes a deferred length as tusd does: Size 0, SizeIsDeferred true', async () => {
    const id = newUploadId()
    await store.create({ id, metadata: {} })
    const info = JSON.parse(await readFile(join(directory, `${id}.info`), 'utf8'))
    expect(info).toMatchObject({ Size: 0, SizeIsDeferred: true, MetaData: {} })
    expect(info).not.toHaveProperty('metadataKeysWithoutValue')
  })

  it('refuses to create an upload over an existing one, whose bytes stay', async () => {
    const id = newUploadId()
    await store.create({ id, length: 3, metadata: {} })
    await store.append(id, 0, body('abc'))
    await expect(store.create({ id, length: 9, metadata: {} })).rejects.toMatchObject({ code: 'EEXIST' })
    expect(await store.get(id)).toMatchObject({ offset: 3, length: 3 })
  })

  it('leaves no temporary files behind', async () => {
    const id = newUploadId()
    await store.create({ id, metadata: { a: null } })
    await store.append(id, 0, body('abc'))
    await store.declareLength(id, 3)
    expect((await readdir(directory)).sort()).toEqual([id, `${id}.info`])
  })

  it('ignores a leftover temporary .info from an interrupted write', async () => {
    const id = newUploadId()
    await store.create({ id, length: 5, metadata: { name: 'kept' } })
    await writeFile(join(directory, `${id}.info.0123456789abcdef.tmp`), '{"ID":"trunc')
    expect(await store.get(id)).toMatchObject({ id, offset: 0, length: 5, metadata: { name: 'kept' } })
    expect(await store.declareLength(id, 5)).toMatchObject({ length: 5 })
  })

  it('reports an upload whose data file is missing as not found', async () => {
    const id = newUploadId()
    await store.create({ id, length: 5, metadata: {} })
    await rm(join(directory, id))
    await expect(store.get(id)).rejects.toBeInstanceOf(UploadNotFound)
    await expect(store.append(id, 0, body('x'))).rejects.toBeInstanceOf(UploadNotFound)
    // append must not have created the data file again.
    expect(await readdir(directory)).toEqual([`${id}.info`])
  })

  it('reports a data file without .info as not found', async () => {
    const id = newUploadId()
    await writeFile(join(directory, id), 'orphan')
    await expect(store.get(id)).rejects.toBeInstanceOf(UploadNotFound)
    await expect(store.terminate(id)).rejects.toBeInstanceOf(UploadNotFound)
  })

  it('rejects a malformed .info with InvalidInfoFile, not UploadNotFound', async () => {
    const id = newUploadId()
    await store.create({ id, length: 5, metadata: {} })
    await writeFile(join(directory, `${id}.info`), '{"ID":')
    await expect(store.get(id)).rejects.toBeInstanceOf(InvalidInfoFile)
    await writeFile(join(directory, `${id}.info`), JSON.stringify({ ID: id, Size: -1, SizeIsDeferred: false }))
    await expect(store.get(id)).rejects.toBeInstanceOf(InvalidInfoFile)
  })

  it('reads "" as "" from a .info without our list of value-less keys', async () => {
    const id = newUploadId()
    const info = {
      ...{ ID: id, Size: 1, SizeIsDeferred: false, Offset: 0, MetaData: { empty: '' } },
      ...{ IsPartial: false, IsFinal: false, PartialUploads: null, Storage: null },
    }
    await writeFile(join(directory, `${id}.info`), JSON.stringify(info))
    await writeFile(join(directory, id), '')
    const upload = await store.get(id)
    expect(upload.metadata).toEqual({ empty: '' })
    expect(upload.createdAt).toBeUndefined()
  })

  it('keeps fields it does not know when it declares a length', async () => {
    const id = newUploadId()
    await store.create({ id, metadata: {} })
    const path = join(directory, `${id}.info`)
    await writeFile(path, JSON.stringify({ ...JSON.parse(await readFile(path, 'utf8')), FutureField: [1, 2] }))
    await store.declareLength(id, 7)
    expect(JSON.parse(await readFile(path, 'utf8'))).toMatchObject({ Size: 7, SizeIsDeferred: false, FutureField: [1, 2] })
  })

  it('refuses a range past the stored bytes', async () => {
    const id = newUploadId()
    await store.create({ id, length: 3, metadata: {} })
    await store.append(id, 0, body('abc'))
    await expect(store.read(id, { start: 2, end: 4 })).rejects.toBeInstanceOf(RangeError)
    await expect(store.read(id, { start: 2, end: 1 })).rejects.toBeInstanceOf(RangeError)
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
      const upload = await store.get(FINISHED)
      const metadata = { filename: 'hello.txt', filetype: 'text/plain' }
      // updatedAt: the data file's modification time (when the fixture was copied here).
      expect(upload).toEqual({ id: FINISHED, offset: 16, length: 16, metadata, updatedAt: expect.any(Number) })
      expect(await readAll(store, FINISHED)).toBe('hello from tusd\n')
    })

    it('takes the offset from the data file, not from Offset, and resumes there', async () => {
      expect(await store.get(RESUMABLE)).toMatchObject({ offset: 10, length: 26, metadata: { filename: 'alphabet.txt' } })
      expect(await store.append(RESUMABLE, 10, body('abcdefgh', 'ijklmnop'))).toBe(26)
      expect(await store.get(RESUMABLE)).toMatchObject({ offset: 26, length: 26 })
      expect(await readAll(store, RESUMABLE)).toBe('0123456789abcdefghijklmnop')
    })

    it('loads a deferred length as undefined and declares it', async () => {
      const upload = await store.get(DEFERRED)
      expect(upload).toMatchObject({ id: DEFERRED, offset: 5, metadata: { filename: 'deferred.bin' } })
      expect(upload.length).toBeUndefined()
      expect(await store.declareLength(DEFERRED, 9)).toMatchObject({ offset: 5, length: 9 })
      expect(await store.get(DEFERRED)).toMatchObject({ offset: 5, length: 9 })
      const info = JSON.parse(await readFile(join(directory, `${DEFERRED}.info`), 'utf8'))
      // tusd's own fields survive the rewrite, Storage.Path still naming where tusd kept it.
      const storage = { Type: 'filestore', Path: `/var/lib/tusd/data/${DEFERRED}` }
      expect(info).toMatchObject({ ID: DEFERRED, Size: 9, SizeIsDeferred: false, Storage: storage })
    })

    it('terminates a tusd upload', async () => {
      await store.terminate(FINISHED)
      expect((await readdir(directory)).filter((name) => name.startsWith(FINISHED))).toEqual([])
    })
  })
})
