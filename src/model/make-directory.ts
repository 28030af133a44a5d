import { mkdir, stat } from 'node:fs/promises'
import { dirname, resolve } from 'node:path'

/**
 * Creates `directory` and its missing parents, one level at a time, and resolves once it is a directory (one
 * that exists already is fine). Throws the file system's error: `ENOENT` when a level cannot be made (under
 * `/proc`, say), `ENOTDIR` with `path` set to the path or the parent that is not a directory, `EACCES`, ...
 *
 * Not `mkdir(directory, { recursive: true })`: Node's takes an `ENOENT` for a missing parent and tries the parent
 * again, forever where the parent exists yet refuses children with `ENOENT` (`/proc`); this looks each level up
 * first, so it makes each missing one exactly once.
 */
export async function makeDirectory(directory: string): Promise<void> {
  const missing: string[] = []
  for (let path = resolve(directory); ; path = dirname(path)) {
    const found = await statOrMissing(path)
    if (found === 'missing' && dirname(path) !== path) {
      missing.push(path)
      continue
    }
    if (found !== 'directory') throw notADirectory(path)
    break
  }
  for (const level of missing.reverse()) {
    try {
      await mkdir(level)
    } catch (error) {
      // Made by someone else in the meantime: fine if it is a directory.
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || (await statOrMissing(level)) !== 'directory') throw error
    }
  }
}

async function statOrMissing(path: string): Promise<'directory' | 'other' | 'missing'> {
  try {
    return (await stat(path)).isDirectory() ? 'directory' : 'other'
  } catch (error) {
    // ENOTDIR: a parent is not a directory; the walk up finds which, and names it.
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'ENOENT' || code === 'ENOTDIR') return 'missing'
    throw error
  }
}

function notADirectory(path: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`ENOTDIR: not a directory, '${path}'`), { code: 'ENOTDIR', path })
}
