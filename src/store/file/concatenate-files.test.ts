import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { concatenateFiles } from './concatenate-files.js'

describe('concatenateFiles', () => {
  let directory: string
  beforeEach(async () => {
    directory = await mkdtemp(join(tmpdir(), 'concatenate-'))
  })
  afterEach(async () => {
    await rm(directory, { recursive: true, force: true })
  })

  it('replaces the target with the sources in order, repeats and empty files included', async () => {
    const [a, b, empty, target] = ['a', 'b', 'empty', 'target'].map((name) => join(directory, name)) as [string, string, string, string]
    // Larger than the copy buffer, so that a file is copied in several reads.
    const large = Buffer.alloc(2 * 1024 * 1024 + 3, 7)
    await writeFile(a, large)
    await writeFile(b, 'bee')
    await writeFile(empty, '')
    await writeFile(target, 'old content')
    expect(await concatenateFiles([b, a, empty, b], target, { fsync: true })).toBe(large.length + 6)
    expect((await readFile(target)).equals(Buffer.concat([Buffer.from('bee'), large, Buffer.from('bee')]))).toBe(true)
    expect((await readdir(directory)).sort()).toEqual(['a', 'b', 'empty', 'target'])
  })

  it('leaves the target as it was, and no temporary file, when a source is missing', async () => {
    const [a, target] = [join(directory, 'a'), join(directory, 'target')]
    await writeFile(a, 'aaa')
    await writeFile(target, '')
    const missing = join(directory, 'missing')
    await expect(concatenateFiles([a, missing], target, { fsync: false })).rejects.toMatchObject({ code: 'ENOENT', path: missing })
    expect(await readFile(target, 'utf8')).toBe('')
    expect((await readdir(directory)).sort()).toEqual(['a', 'target'])
  })
})
