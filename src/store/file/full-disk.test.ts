import { execFile } from 'node:child_process'
import { mkdtemp, open, readdir, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { StorageFull } from '../../model/errors.js'
import { FileStore } from './file-store.js'
import type { FileUpload } from './file-upload.js'

// A real full disk: a 1 MiB tmpfs mounted for each test. Mounting needs root (CAP_SYS_ADMIN), which CI has
// (.ci/run runs as root on a fresh Debian machine); elsewhere these tests are skipped, saying why.

const run = promisify(execFile)
const NEVER = new AbortController().signal
const KiB = 1024

async function tryMount(directory: string): Promise<boolean> {
  try {
    await run('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', directory])
    return true
  } catch {
    return false
  }
}

const probe = await mkdtemp(join(tmpdir(), 'full-disk-probe-'))
const canMount = await tryMount(probe)
if (canMount) await run('umount', [probe])
await rm(probe, { recursive: true, force: true })

/** Writes `path` until the file system refuses a byte more; resolves with how many bytes it took. */
async function fill(path: string, limit = Number.POSITIVE_INFINITY): Promise<number> {
  const file = await open(path, 'a')
  const chunk = Buffer.alloc(16 * KiB, 0x66)
  let written = 0
  try {
    while (written < limit) written += (await file.write(chunk, 0, Math.min(chunk.length, limit - written))).bytesWritten
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error
  } finally {
    await file.close()
  }
  return written
}

async function* pieces(data: Buffer, size = 64 * KiB): AsyncGenerator<Uint8Array> {
  for (let at = 0; at < data.length; at += size) yield data.subarray(at, at + size)
}

async function readAll(upload: FileUpload): Promise<Buffer> {
  const chunks: Buffer[] = []
  for await (const chunk of await upload.read(undefined, NEVER)) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks)
}

describe.skipIf(!canMount).each([false, true])('FileStore (fsync: %s) on a full disk (a 1 MiB tmpfs; skipped: mounting one needs root)', (fsync) => {
  let directory: string
  let store: FileStore
  const names = async (): Promise<string[]> => (await readdir(directory)).sort()

  beforeEach(async () => {
    directory = await mkdtemp(join(tmpdir(), 'full-disk-'))
    if (!(await tryMount(directory))) throw new Error(`could not mount a tmpfs on ${directory}`)
    store = await FileStore.open({ directory, fsync })
  })
  afterEach(async () => {
    // Lazy: a descriptor a finished stream is still closing must not make the unmount fail.
    await run('umount', ['--lazy', directory])
    await rm(directory, { recursive: true, force: true })
  })

  it('keeps the bytes that fit, throws StorageFull with that offset, and resumes once there is room again', async () => {
    await fill(join(directory, 'filler'), 512 * KiB)
    const data = Buffer.from(Array.from({ length: 768 * KiB }, (_, i) => (i * 31) % 251))
    const upload = await store.create({ id: 'upload', length: data.length, metadata: {} }, NEVER)
    const error = await upload.append(pieces(data), NEVER).catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(StorageFull)
    const { offset } = error as StorageFull
    expect(offset).toBeGreaterThan(0)
    expect(offset).toBeLessThan(data.length)
    expect(upload.state.offset).toBe(offset)
    expect((await stat(join(directory, 'upload'))).size).toBe(offset)
    expect((await store.open('upload', NEVER)).state.offset).toBe(offset)

    await rm(join(directory, 'filler'))
    const resumed = await store.open('upload', NEVER)
    expect((await resumed.append(pieces(data.subarray(offset ?? 0)), NEVER)).offset).toBe(data.length)
    await resumed.finish(NEVER)
    expect((await readAll(resumed)).equals(data)).toBe(true)
  })

  it('refuses a creation with StorageFull, leaving nothing behind', async () => {
    await fill(join(directory, 'filler'))
    await expect(store.create({ id: 'upload', length: 1, metadata: { name: 'x' } }, NEVER)).rejects.toBeInstanceOf(StorageFull)
    expect(await names()).toEqual(['filler'])
  })

  it('refuses an update with StorageFull, changing nothing and leaving no temporary file', async () => {
    const upload = await store.create({ id: 'upload', metadata: {} }, NEVER)
    await fill(join(directory, 'filler'))
    await expect(upload.update({ length: 0 }, NEVER)).rejects.toBeInstanceOf(StorageFull)
    expect(await names()).toEqual(['filler', 'upload', 'upload.info'])
    expect((await store.open('upload', NEVER)).state.length).toBeUndefined()
  })

  it('refuses a concatenation with StorageFull, leaving the final upload as it was and no temporary file', async () => {
    const partials: FileUpload[] = []
    for (const id of ['a', 'b']) {
      const partial = await store.create({ id, length: 300 * KiB, metadata: {}, concat: { kind: 'partial' } }, NEVER)
      await partial.append(pieces(Buffer.alloc(300 * KiB, id)), NEVER)
      partials.push(partial)
    }
    const final = await store.create({ id: 'final', length: 600 * KiB, metadata: {}, concat: { kind: 'final', partials: ['a', 'b'] } }, NEVER)
    await expect(final.concatenate(partials, NEVER)).rejects.toBeInstanceOf(StorageFull)
    expect(await names()).toEqual(['a', 'a.info', 'b', 'b.info', 'final', 'final.info'])
    expect((await store.open('final', NEVER)).state).toMatchObject({ offset: 0, length: 600 * KiB })
  })
})
