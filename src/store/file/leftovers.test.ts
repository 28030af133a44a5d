import { mkdir, mkdtemp, readdir, readFile, rm, utimes, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { FileStore } from './file-store.js'
import { markBeingWritten, replaceFile } from './temporary-files.js'

const NEVER = new AbortController().signal
const GRACE_MS = 60_000
const A = 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa'
const B = 'bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb'
const C = 'cccccccccccccccccccccccccccccccc'

describe('FileStore.sweepLeftovers', () => {
  let directory: string
  let store: FileStore
  const path = (name: string): string => join(directory, name)
  /** Writes a file last modified `ageMs` ago. */
  async function file(name: string, content: string, ageMs: number): Promise<void> {
    await writeFile(path(name), content)
    const time = (Date.now() - ageMs) / 1000
    await utimes(path(name), time, time)
  }

  beforeEach(async () => {
    directory = await mkdtemp(join(tmpdir(), 'leftovers-'))
    store = await FileStore.open({ directory, leftoverGraceMs: GRACE_MS })
  })
  afterEach(async () => {
    await rm(directory, { recursive: true, force: true })
  })

  it('removes temporary files of concatenations and .info rewrites once older than the grace period, and counts their bytes', async () => {
    await file(`${A}.0123456789abcdef.tmp`, 'x'.repeat(1000), 2 * GRACE_MS)
    await file(`${A}.info.fedcba9876543210.tmp`, '{"ID":', 2 * GRACE_MS)
    await file(`${B}.00000000000000aa.tmp`, 'young', GRACE_MS / 2)
    expect(await store.sweepLeftovers(NEVER)).toBe(1006)
    expect(await readdir(directory)).toEqual([`${B}.00000000000000aa.tmp`])
  })

  it('never removes a file this process is writing, however old', async () => {
    await file(`${A}.0123456789abcdef.tmp`, 'live', 2 * GRACE_MS)
    await file(A, '', 2 * GRACE_MS)
    const releases = [markBeingWritten(path(`${A}.0123456789abcdef.tmp`)), markBeingWritten(path(A))]
    expect(await store.sweepLeftovers(NEVER)).toBe(0)
    expect((await readdir(directory)).sort()).toEqual([A, `${A}.0123456789abcdef.tmp`])
    for (const release of releases) release()
    expect(await store.sweepLeftovers(NEVER)).toBe(4)
    expect(await readdir(directory)).toEqual([])
  })

  it('keeps the temporary file of a write this process has in progress, however old it looks', async () => {
    const eager = await FileStore.open({ directory, leftoverGraceMs: 0 })
    let resume: () => void = () => undefined
    const paused = new Promise<void>((resolve) => (resume = resolve))
    let temporary = ''
    const writing = replaceFile(
      path(A),
      async (file) => {
        await file.writeText('half')
        temporary = (await readdir(directory)).find((name) => name.endsWith('.tmp')) ?? ''
        // A writer stalled for longer than any grace period (a hung disk).
        await utimes(path(temporary), new Date(0), new Date(0))
        await paused
        await file.writeText(' and the rest')
      },
      { fsync: false },
    )
    while (temporary === '') await new Promise((resolve) => setTimeout(resolve, 1))
    expect(await eager.sweepLeftovers(NEVER)).toBe(0)
    resume()
    await writing
    expect(await readdir(directory)).toEqual([A])
    expect(await readFile(path(A), 'utf8')).toBe('half and the rest')
  })

  it('removes an old data file without .info, and an empty .info with an empty data file, and keeps every upload', async () => {
    const upload = await store.create({ id: C, length: 3, metadata: {} }, NEVER)
    await upload.append((async function* () { yield Buffer.from('abc') })(), NEVER)
    for (const name of [C, `${C}.info`]) await utimes(path(name), new Date(Date.now() - 2 * GRACE_MS), new Date(Date.now() - 2 * GRACE_MS))
    await file(A, 'orphan', 2 * GRACE_MS)
    await file(B, '', 2 * GRACE_MS)
    await file(`${B}.info`, '', 2 * GRACE_MS)
    expect(await store.sweepLeftovers(NEVER)).toBe(6)
    expect((await readdir(directory)).sort()).toEqual([C, `${C}.info`])
    expect((await store.open(C, NEVER)).state).toMatchObject({ offset: 3, length: 3 })
  })

  it('keeps an empty .info whose data file holds bytes (a tusd upload broken mid-rewrite: its bytes are not ours to drop)', async () => {
    await file(A, 'bytes', 2 * GRACE_MS)
    await file(`${A}.info`, '', 2 * GRACE_MS)
    expect(await store.sweepLeftovers(NEVER)).toBe(0)
    expect((await readdir(directory)).sort()).toEqual([A, `${A}.info`])
  })

  it('keeps young leftovers of creations (another process may be creating them) and files that are not the store\'s', async () => {
    await file(A, 'being created', 1000)
    await file(B, '', 1000)
    await file(`${B}.info`, '', 1000)
    for (const name of ['README.md', 'notes.tmp', 'a.b.0123456789abcdef.tmp', `${A}.0123456789abcdef.tmp.bak`]) await file(name, 'mine', 2 * GRACE_MS)
    expect(await store.sweepLeftovers(NEVER)).toBe(0)
    expect(await readdir(directory)).toHaveLength(7)
  })

  it('leaves directories alone, whatever their names', async () => {
    for (const name of [A, `${B}.0123456789abcdef.tmp`]) {
      await mkdir(path(name))
      const time = (Date.now() - 2 * GRACE_MS) / 1000
      await utimes(path(name), time, time)
    }
    expect(await store.sweepLeftovers(NEVER)).toBe(0)
    expect(await readdir(directory)).toHaveLength(2)
  })

  it('rejects with the reason of an aborted signal', async () => {
    await file(`${A}.0123456789abcdef.tmp`, 'x', 2 * GRACE_MS)
    const controller = new AbortController()
    const reason = new Error('shutting down')
    controller.abort(reason)
    await expect(store.sweepLeftovers(controller.signal)).rejects.toBe(reason)
  })
})
