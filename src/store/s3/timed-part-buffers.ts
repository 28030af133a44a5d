import type { PartBuffer, PartBuffers } from './part-buffer.js'

/**
 * `buffers` whose parts say, once first flushed, how long they took from their creation until every byte
 * was written (tusd's `tusd_s3_disk_write_duration_ms`: the time to copy a part's bytes into its file).
 */
export function timedPartBuffers(buffers: PartBuffers, onBuffered: (ms: number) => void): PartBuffers {
  return {
    create: async (): Promise<PartBuffer> => {
      const started = performance.now()
      const buffer = await buffers.create()
      let reported = false
      return {
        get size() {
          return buffer.size
        },
        write: (chunk) => buffer.write(chunk),
        flush: async () => {
          await buffer.flush()
          if (reported) return
          reported = true
          onBuffered(performance.now() - started)
        },
        source: () => buffer.source(),
        dispose: () => buffer.dispose(),
      }
    },
    sweep: (graceMs, signal) => buffers.sweep(graceMs, signal),
  }
}
