import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { concatenateFiles } from './concatenate-files.js'

const NEVER = new AbortController().signal

describe('concatenateFiles', () => {
  let directory: string
  beforeEach(async () => {
    directory = await mkdtemp(join(tmpdir(), 'concatenate-'))
  })
  afterEach(async () => {
    await rm(directory, { recursive: true, force: true })
  })
  const path = (name: string): string => join(directory, name)

  it('replaces the target with the sources in order, repeats and empty files included', async () => {
    // Larger than the copy buffer, so that a file is copied in several reads.
    const large = Buffer.alloc(2 * 1024 * 1024 + 3, 7)
    await writeFile(path('a'), large)
    await writeFile(path('b'), 'bee')
    await writeFile(path('empty'), '')
    await writeFile(path('target'), 'old content')
    const sources = [
      { path: path('b'), bytes: 3 },
      { path: path('a'), bytes: large.length },
      { path: path('empty'), bytes: 0 },
      { path: path('b'), bytes: 3 },
    ]
    expect(await concatenateFiles(sources, path('target'), { fsync: true, signal: NEVER })).toBe(large.length + 6)
    expect((await readFile(path('target'))).equals(Buffer.concat([Buffer.from('bee'), large, Buffer.from('bee')]))).toBe(true)
    expect((await readdir(directory)).sort()).toEqual(['a', 'b', 'empty', 'target'])
  })

  it('copies only the bytes its sources count, and refuses a source shorter than that', async () => {
    await writeFile(path('a'), 'abcdef')
    await writeFile(path('target'), '')
    expect(await concatenateFiles([{ path: path('a'), bytes: 4 }], path('target'), { fsync: false, signal: NEVER })).toBe(4)
    expect(await readFile(path('target'), 'utf8')).toBe('abcd')
    await expect(concatenateFiles([{ path: path('a'), bytes: 7 }], path('target'), { fsync: false, signal: NEVER })).rejects.toThrow('fewer than the 7')
    expect(await readFile(path('target'), 'utf8')).toBe('abcd')
    expect((await readdir(directory)).sort()).toEqual(['a', 'target'])
  })

  it('leaves the target as it was, and no temporary file, when a source is missing', async () => {
    await writeFile(path('a'), 'aaa')
    await writeFile(path('target'), '')
    const missing = path('missing')
    const sources = [
      { path: path('a'), bytes: 3 },
      { path: missing, bytes: 1 },
    ]
    await expect(concatenateFiles(sources, path('target'), { fsync: false, signal: NEVER })).rejects.toMatchObject({ code: 'ENOENT', path: missing })
    expect(await readFile(path('target'), 'utf8')).toBe('')
    expect((await readdir(directory)).sort()).toEqual(['a', 'target'])
  })

  it('stops at an aborted signal with its reason, leaving the target as it was', async () => {
    await writeFile(path('a'), Buffer.alloc(3 * 1024 * 1024))
    await writeFile(path('target'), 'old')
    const controller = new AbortController()
    const reason = new Error('shutting down')
    controller.abort(reason)
    await expect(concatenateFiles([{ path: path('a'), bytes: 3 * 1024 * 1024 }], path('target'), { fsync: false, signal: controller.signal })).rejects.toBe(reason)
    expect(await readFile(path('target'), 'utf8')).toBe('old')
    expect((await readdir(directory)).sort()).toEqual(['a', 'target'])
  })
})
