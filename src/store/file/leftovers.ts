import type { Stats } from 'node:fs'
import { lstat, opendir, unlink } from 'node:fs/promises'
import { join } from 'node:path'
import { isNotFound } from './fs-errors.js'
import { isBeingWritten, TEMPORARY_NAME } from './temporary-files.js'

/** What `sweepLeftovers` needs to know. */
export interface SweepOptions {
  /** How old (by modification time) a leftover must be to be removed, in milliseconds. */
  readonly graceMs: number
  /** The store's id rule: names built on anything else are not the store's. */
  isValidId(id: string): boolean
  readonly signal: AbortSignal
}

/**
 * Removes what a file store's crashes leave in `directory`, and resolves with the bytes freed:
 *
 * - `<id>.<hex>.tmp` and `<id>.info.<hex>.tmp`: temporary files of a concatenation or of an `.info` rewrite
 *   (`replaceFile`) whose process died before the rename;
 * - `<id>` without `<id>.info`: a creation killed between making the data file and writing `.info`, or a
 *   termination killed between removing `.info` and the data file (either way no client can reach it);
 * - an empty `<id>.info` with an empty (or no) data file: a creation killed between making `.info` and
 *   writing it (`FileStore.open` reports it as not found).
 *
 * Never a live file: nothing this process is writing (`isBeingWritten`), and nothing modified within
 * `graceMs`, which protects the files of other processes sharing the directory (a live temporary file is
 * written continuously; a creation takes milliseconds). Should a stalled writer elsewhere lose its temporary
 * file anyway, its rename fails with ENOENT and its request fails: no upload is ever changed by a sweep.
 * Throws `signal.reason` once the signal aborts, file system errors other than a file gone meanwhile.
 */
export async function sweepLeftovers(directory: string, options: SweepOptions): Promise<number> {
  const cutoff = Date.now() - options.graceMs
  let freed = 0
  // for-await closes the directory when the loop ends, also on an abort.
  for await (const entry of await opendir(directory)) {
    options.signal.throwIfAborted()
    // Not filtered by the entry's type, which some file systems do not report: each rule lstats what it removes.
    freed += await sweepEntry(directory, entry.name, cutoff, options)
  }
  return freed
}

async function sweepEntry(directory: string, name: string, cutoff: number, options: SweepOptions): Promise<number> {
  const path = join(directory, name)
  const temporary = TEMPORARY_NAME.exec(name)?.groups?.['target']
  if (temporary !== undefined) {
    const id = temporary.endsWith('.info') ? temporary.slice(0, -'.info'.length) : temporary
    return options.isValidId(id) && !isBeingWritten(path) ? removeIfOlder(path, cutoff) : 0
  }
  if (name.endsWith('.info')) {
    const id = name.slice(0, -'.info'.length)
    if (!options.isValidId(id)) return 0
    const data = join(directory, id)
    if (isBeingWritten(data) || !(await isEmptyAndOlder(path, cutoff))) return 0
    const dataFile = await lstatIfThere(data)
    if (dataFile !== undefined && (dataFile.size > 0 || dataFile.mtimeMs > cutoff)) return 0
    // Data first: a data file without `.info` would be swept next time anyway, an `.info` without data not.
    await removeIfThere(data)
    await removeIfThere(path)
    return 0
  }
  if (!options.isValidId(name) || isBeingWritten(path)) return 0
  if ((await lstatIfThere(join(directory, `${name}.info`))) !== undefined) return 0
  return removeIfOlder(path, cutoff)
}

/** Removes the regular file at `path` if it was last modified before `cutoff`; resolves with its size, or 0. */
async function removeIfOlder(path: string, cutoff: number): Promise<number> {
  const stats = await lstatIfThere(path)
  if (stats === undefined || !stats.isFile() || stats.mtimeMs > cutoff) return 0
  return (await removeIfThere(path)) ? stats.size : 0
}

async function isEmptyAndOlder(path: string, cutoff: number): Promise<boolean> {
  const stats = await lstatIfThere(path)
  return stats !== undefined && stats.isFile() && stats.size === 0 && stats.mtimeMs <= cutoff
}

async function lstatIfThere(path: string): Promise<Stats | undefined> {
  try {
    return await lstat(path)
  } catch (error) {
    if (isNotFound(error)) return undefined
    throw error
  }
}

async function removeIfThere(path: string): Promise<boolean> {
  try {
    await unlink(path)
    return true
  } catch (error) {
    if (isNotFound(error)) return false
    throw error
  }
}
