import { randomBytes } from 'node:crypto'
import { rename, rm } from 'node:fs/promises'
import { dirname } from 'node:path'
import { OpenFile } from './open-file.js'

// As tusd's filestore (`defaultFilePerm`), so a directory shared with tusd stays usable by both.
export const FILE_MODE = 0o664

/**
 * The name of a temporary file beside `<target>`: `<target>.<16 hex digits>.tmp`. Recognisable (tusd writes
 * no temporary files, and nothing else of ours ends so), unique per write, and the same form earlier
 * versions used, so their crash leftovers are recognised too.
 */
export const TEMPORARY_NAME = /^(?<target>.+)\.[0-9a-f]{16}\.tmp$/

// Files this process is writing that are no upload yet (temporary files, a data file whose `.info` is being
// written), by absolute path: the sweep never removes one of them, whatever its age. Module-wide, so that two
// stores over one directory in one process respect each other's.
const live = new Map<string, number>()

/** True while this process writes the file at `path` as a temporary file or a creation in progress. */
export function isBeingWritten(path: string): boolean {
  return live.has(path)
}

/** Marks `path` as being written by this process until the returned function is called. */
export function markBeingWritten(path: string): () => void {
  live.set(path, (live.get(path) ?? 0) + 1)
  return () => {
    const count = (live.get(path) ?? 1) - 1
    if (count > 0) live.set(path, count)
    else live.delete(path)
  }
}

/**
 * Replaces the file at `target` with what `write` writes, so that a reader sees the old content or the
 * new, never a part: `write` fills a fresh temporary file beside it (a rename is only atomic within one
 * file system), which is then renamed over `target`. With `fsync`, the temporary file is flushed before
 * the rename and the directory after it, so the new content survives a power loss once this resolves.
 *
 * The temporary file is removed if anything fails; if the process dies instead, it is left, named as
 * `TEMPORARY_NAME` says, for `sweepLeftovers`. Throws what `write` or the file system threw.
 */
export async function replaceFile(target: string, write: (file: OpenFile) => Promise<void>, options: { fsync: boolean }): Promise<void> {
  const temporary = `${target}.${randomBytes(8).toString('hex')}.tmp`
  const written = markBeingWritten(temporary)
  try {
    const file = await OpenFile.open(temporary, 'wx', FILE_MODE)
    try {
      await write(file)
      if (options.fsync) await file.sync()
    } finally {
      await file.close()
    }
    await rename(temporary, target)
  } catch (error) {
    await rm(temporary, { force: true })
    throw error
  } finally {
    written()
  }
  // The rename lives in the directory entry, which fsync on the file does not cover.
  if (options.fsync) await syncDirectory(dirname(target))
}

/** Replaces the file at `path` with `text`, atomically; see `replaceFile`. */
export function writeFileAtomic(path: string, text: string, options: { fsync: boolean }): Promise<void> {
  return replaceFile(path, (file) => file.writeText(text), options)
}

/**
 * Flushes a directory's entries (created, renamed files) to disk. A no-op on Windows, which cannot
 * open a directory as a file and commits renames on its own.
 */
export async function syncDirectory(directory: string): Promise<void> {
  if (process.platform === 'win32') return
  const handle = await OpenFile.open(directory, 'r')
  try {
    await handle.sync()
  } finally {
    await handle.close()
  }
}
