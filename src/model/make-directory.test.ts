import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { makeDirectory } from './make-directory.js'

let workDir: string

beforeEach(async () => {
  workDir = await mkdtemp(join(tmpdir(), 'make-directory-'))
})
afterEach(async () => {
  await rm(workDir, { recursive: true, force: true })
})

describe('makeDirectory', () => {
  it('creates a directory and its missing parents, and takes one that exists', async () => {
    const directory = join(workDir, 'a', 'b', 'c')
    await makeDirectory(directory)
    expect((await stat(directory)).isDirectory()).toBe(true)
    await makeDirectory(directory)
    await makeDirectory(workDir)
  })

  it('refuses a file, naming it, and a path under a file', async () => {
    await writeFile(join(workDir, 'a-file'), '')
    await expect(makeDirectory(join(workDir, 'a-file'))).rejects.toMatchObject({ code: 'ENOTDIR', path: join(workDir, 'a-file') })
    await expect(makeDirectory(join(workDir, 'a-file', 'uploads', 'x'))).rejects.toMatchObject({ code: 'ENOTDIR', path: join(workDir, 'a-file') })
  })

  it('fails at once under /proc, where mkdir answers ENOENT though the parent exists (a recursive mkdir loops there)', async () => {
    await expect(makeDirectory('/proc/make-directory-test/uploads')).rejects.toMatchObject({ code: 'ENOENT' })
  })

  it('lets two callers make the same directories at once', async () => {
    const directory = join(workDir, 'x', 'y', 'z')
    await Promise.all([makeDirectory(directory), makeDirectory(directory), makeDirectory(join(directory, 'w'))])
    expect((await stat(join(directory, 'w'))).isDirectory()).toBe(true)
  })
})
