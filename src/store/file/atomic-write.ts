import { randomBytes } from 'node:crypto'
import { open, rename, rm } from 'node:fs/promises'
import { dirname } from 'node:path'

// tusd's filestore creates its files 0664 (`defaultFilePerm`); the same mode keeps a shared directory usable by both.
const FILE_MODE = 0o664

/**
 * Replaces the file at `path` with `text` so that a reader sees either the old content or the new one,
 * never a partial write: the text goes to `<path>.<random>.tmp` in the same directory (a rename is only
 * atomic within one file system), which is then renamed over `path`.
 *
 * With `fsync`, the temporary file is flushed before the rename and the directory after it, so the new
 * content survives a crash once this resolves. The temporary file is removed if anything fails.
 * Throws the file system's error (for example `ENOENT` when the directory is gone).
 */
export async function writeFileAtomic(path: string, text: string, options: { fsync: boolean }): Promise<void> {
  // A unique name per write: two writers never share a temporary file, and a leftover from a crash is
  // never reused (readers only ever open `path` itself, so leftovers are harmless).
  const temporary = `${path}.${randomBytes(8).toString('hex')}.tmp`
  try {
    const handle = await open(temporary, 'wx', FILE_MODE)
    try {
      await handle.writeFile(text)
      if (options.fsync) await handle.sync()
    } finally {
      await handle.close()
    }
    await rename(temporary, path)
  } catch (error) {
    await rm(temporary, { force: true })
    throw error
  }
  // The rename lives in the directory entry, which fsync on the file does not cover.
  if (options.fsync) await syncDirectory(dirname(path))
}

/**
 * Creates an empty file at `path`; throws `EEXIST` if one is already there (the caller's id collided).
 */
export async function createEmptyFile(path: string): Promise<void> {
  const handle = await open(path, 'wx', FILE_MODE)
  await handle.close()
}

/**
 * Flushes a directory's entries (created, renamed files) to disk. A no-op on Windows, which cannot
 * open a directory as a file and commits renames on its own.
 */
export async function syncDirectory(directory: string): Promise<void> {
  if (process.platform === 'win32') return
  const handle = await open(directory, 'r')
  try {
    await handle.sync()
  } finally {
    await handle.close()
  }
}
