import { OpenFile } from './open-file.js'
import { replaceFile } from './temporary-files.js'

// One buffer, reused for every read: memory stays at this size whatever the files weigh.
const COPY_BUFFER_BYTES = 1024 * 1024

/** A file to copy from, and how many of its first bytes to copy (what its upload's state counts). */
export interface ConcatSource {
  readonly path: string
  readonly bytes: number
}

/**
 * Replaces the file at `target` with the first `bytes` bytes of each source, in order (a path may repeat),
 * and returns how many bytes were written.
 *
 * All or nothing: every source is opened before anything is written, and the bytes go to a temporary file
 * that is renamed over `target` once complete (`replaceFile`), so `target` is never seen half-written, even
 * after a crash. Streams through one fixed buffer; nothing is read whole into memory. Throws the file system's
 * error (`ENOENT` with the `path` of a missing source, `ENOSPC`), an `Error` for a source shorter than its
 * `bytes`, and `signal.reason` once the signal aborts (checked between two buffers).
 */
export async function concatenateFiles(
  sources: readonly ConcatSource[],
  target: string,
  options: { readonly fsync: boolean; readonly signal: AbortSignal },
): Promise<number> {
  const opened = new Map<string, OpenFile>()
  try {
    for (const { path } of sources) if (!opened.has(path)) opened.set(path, await OpenFile.open(path, 'r'))
    let written = 0
    await replaceFile(
      target,
      async (output) => {
        const buffer = Buffer.allocUnsafe(COPY_BUFFER_BYTES)
        for (const source of sources) {
          written += await copy(opened.get(source.path) as OpenFile, source, output, buffer, options.signal)
        }
      },
      options,
    )
    return written
  } finally {
    await Promise.all([...opened.values()].map((file) => file.close()))
  }
}

async function copy(input: OpenFile, source: ConcatSource, output: OpenFile, buffer: Buffer, signal: AbortSignal): Promise<number> {
  let copied = 0
  while (copied < source.bytes) {
    signal.throwIfAborted()
    const bytesRead = await input.read(buffer, 0, Math.min(buffer.length, source.bytes - copied), copied)
    if (bytesRead === 0) throw new Error(`${source.path} holds ${copied} bytes, fewer than the ${source.bytes} of its upload`)
    // A write may be short; write the rest until the chunk is out.
    for (let at = 0; at < bytesRead; ) {
      at += await output.write(buffer, at, bytesRead - at)
    }
    copied += bytesRead
  }
  return copied
}
