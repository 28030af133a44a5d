import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { text } from 'node:stream/consumers'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { OpenFile, statFile } from './open-file.js'

let directory: string
beforeEach(async () => {
  directory = await mkdtemp(join(tmpdir(), 'open-file-'))
})
afterEach(async () => {
  await rm(directory, { recursive: true, force: true })
})

describe('OpenFile', () => {
  it('creates a file exclusively: a second open with wx fails with EEXIST', async () => {
    const path = join(directory, 'a')
    await (await OpenFile.open(path, 'wx', 0o600)).close()
    await expect(OpenFile.open(path, 'wx', 0o600)).rejects.toMatchObject({ code: 'EEXIST' })
  })

  it('writes text whole and chunks in order; reads back from a position', async () => {
    const path = join(directory, 'a')
    const file = await OpenFile.open(path, 'ax')
    await file.writeText('héllo ')
    expect(await file.writev([Buffer.from('wor'), Buffer.from('ld')])).toBe(5)
    await file.close()
    expect(await readFile(path, 'utf8')).toBe('héllo world')
    const reader = await OpenFile.open(path, 'r')
    const buffer = Buffer.alloc(5)
    expect(await reader.read(buffer, 0, 5, 7)).toBe(5)
    expect(buffer.toString()).toBe('world')
    await reader.close()
  })

  it('truncates, and streams a range that closes the descriptor with it', async () => {
    const path = join(directory, 'a')
    await writeFile(path, '0123456789')
    const file = await OpenFile.open(path, 'r+')
    await file.truncate(6)
    await file.datasync()
    expect((await statFile(path)).size).toBe(6)
    const stream = file.createReadStream({ start: 2, end: 4 })
    const closed = new Promise((resolve) => stream.once('close', resolve))
    expect(await text(stream)).toBe('234')
    // The stream closes the descriptor (closing it again here could close a descriptor reused meanwhile).
    await closed
    expect((stream as unknown as { closed: boolean }).closed).toBe(true)
  })

  it('rejects with ENOENT for a missing file, in open and in statFile', async () => {
    await expect(OpenFile.open(join(directory, 'missing'), 'r')).rejects.toMatchObject({ code: 'ENOENT' })
    await expect(statFile(join(directory, 'missing'))).rejects.toMatchObject({ code: 'ENOENT' })
  })
})
