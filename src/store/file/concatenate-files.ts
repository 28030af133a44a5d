import { randomBytes } from 'node:crypto'
import { open, rename, rm } from 'node:fs/promises'
import { dirname } from 'node:path'
import { syncDirectory } from './atomic-write.js'

// One buffer, reused for every read: memory stays at this size whatever the files weigh.
const COPY_BUFFER_BYTES = 1024 * 1024
// As tusd's filestore (`defaultFilePerm`), so a directory shared with tusd stays usable by both.
const FILE_MODE = 0o664

/**
 * Replaces the file at `target` with the bytes of the files at `sources`, in order (a path may repeat),
 * and returns how many bytes were written.
 *
 * All or nothing: the bytes go to a temporary file beside `target`, which is renamed over it once complete,
 * so `target` is never seen half-written, even after a crash. Streams through one fixed buffer; nothing is
 * read whole into memory. Throws the file system's error (`ENOENT` for a missing source, with its `path`).
 */
export async function concatenateFiles(sources: readonly string[], target: string, options: { fsync: boolean }): Promise<number> {
  const temporary = `${target}.${randomBytes(8).toString('hex')}.tmp`
  let written = 0
  try {
    const output = await open(temporary, 'wx', FILE_MODE)
    try {
      const buffer = Buffer.allocUnsafe(COPY_BUFFER_BYTES)
      for (const source of sources) written += await appendFile(source, output, buffer)
      if (options.fsync) await output.sync()
    } finally {
      await output.close()
    }
    await rename(temporary, target)
  } catch (error) {
    await rm(temporary, { force: true })
    throw error
  }
  if (options.fsync) await syncDirectory(dirname(target))
  return written
}

async function appendFile(source: string, output: Awaited<ReturnType<typeof open>>, buffer: Buffer): Promise<number> {
  const input = await open(source, 'r')
  let copied = 0
  try {
    for (;;) {
      const { bytesRead } = await input.read(buffer, 0, buffer.length, copied)
      if (bytesRead === 0) return copied
      // A write may be short; write the rest until the chunk is out.
      for (let at = 0; at < bytesRead; ) {
        const { bytesWritten } = await output.write(buffer, at, bytesRead - at)
        at += bytesWritten
      }
      copied += bytesRead
    }
  } finally {
    await input.close()
  }
}
