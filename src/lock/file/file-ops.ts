import { randomBytes } from 'node:crypto'
import { linkSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs'

// The file locker's calls are synchronous on purpose. Each is one metadata system call on a file of a few
// hundred bytes in a local directory: microseconds. Made asynchronous, each costs a hand-off to libuv's
// thread pool and back, and a hand-over takes some forty of them: measured on a busy 2-core machine, a
// cycle of six calls took 0.6 ms synchronously and 3.8 ms (p99 103 ms) asynchronously, and a hand-over
// between two processes reached a p99 of 336 ms. The price is that a directory that hangs (a network file
// system) would stall the process: the file locker is for a local directory of one host.

// As tusd's files, so a directory shared with tusd stays usable by both.
const FILE_MODE = 0o664

/** `<path>.<16 hex>.new`: where a file is written before it appears, whole, under its name. */
function temporaryFor(path: string): string {
  return `${path}.${randomBytes(8).toString('hex')}.new`
}

/**
 * Creates `path` holding `text` if no file has that name, atomically: readers see no file or the whole
 * text, never a part (it is written beside and hard-linked, as tusd's lockfile does). Returns false when
 * `path` exists already. Throws other file system errors (ENOENT: the directory is gone).
 */
export function createExclusive(path: string, text: string): boolean {
  const temporary = temporaryFor(path)
  writeFileSync(temporary, text, { flag: 'wx', mode: FILE_MODE })
  try {
    linkSync(temporary, path)
    return true
  } catch (error) {
    if (isExisting(error)) return false
    throw error
  } finally {
    removeIfThere(temporary)
  }
}

/** Puts `text` at `path` in one step, replacing what was there (written beside, then renamed). */
export function replaceAtomically(path: string, text: string): void {
  const temporary = temporaryFor(path)
  writeFileSync(temporary, text, { flag: 'wx', mode: FILE_MODE })
  try {
    renameSync(temporary, path)
  } catch (error) {
    removeIfThere(temporary)
    throw error
  }
}

/** The text of `path`, or undefined when there is no such file. */
export function readIfThere(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8')
  } catch (error) {
    if (isMissing(error)) return undefined
    throw error
  }
}

/** Removes `path`; false when it was not there. */
export function removeIfThere(path: string): boolean {
  try {
    unlinkSync(path)
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
