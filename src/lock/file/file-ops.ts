import { randomBytes } from 'node:crypto'
import { link, readFile, rename, unlink, writeFile } from 'node:fs/promises'

// As tusd's files, so a directory shared with tusd stays usable by both.
const FILE_MODE = 0o664

/** `<path>.<16 hex>.new`: where a file is written before it appears, whole, under its name. */
function temporaryFor(path: string): string {
  return `${path}.${randomBytes(8).toString('hex')}.new`
}

/**
 * Creates `path` holding `text` if no file has that name, atomically: readers see no file or the whole
 * text, never a part (it is written beside and hard-linked, as tusd's lockfile does). Resolves false
 * when `path` exists already. Throws other file system errors (ENOENT: the directory is gone).
 */
export async function createExclusive(path: string, text: string): Promise<boolean> {
  const temporary = temporaryFor(path)
  await writeFile(temporary, text, { flag: 'wx', mode: FILE_MODE })
  try {
    await link(temporary, path)
    return true
  } catch (error) {
    if (isExisting(error)) return false
    throw error
  } finally {
    await unlink(temporary).catch(() => undefined)
  }
}

/** Puts `text` at `path` in one step, replacing what was there (written beside, then renamed). */
export async function replaceAtomically(path: string, text: string): Promise<void> {
  const temporary = temporaryFor(path)
  await writeFile(temporary, text, { flag: 'wx', mode: FILE_MODE })
  try {
    await rename(temporary, path)
  } catch (error) {
    await unlink(temporary).catch(() => undefined)
    throw error
  }
}

/** The text of `path`, or undefined when there is no such file. */
export async function readIfThere(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8')
  } catch (error) {
    if (isMissing(error)) return undefined
    throw error
  }
}

/** Removes `path`; false when it was not there. */
export async function removeIfThere(path: string): Promise<boolean> {
  try {
    await unlink(path)
    return true
  } catch (error) {
    if (isMissing(error)) return false
    throw error
  }
}

export function isMissing(error: unknown): boolean {
  return (error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT'
}

function isExisting(error: unknown): boolean {
  return (error as NodeJS.ErrnoException | undefined)?.code === 'EEXIST'
}
