import { setFlagsFromString } from 'node:v8'

/**
 * Turns off V8's incremental marking in the gateway's own process (the CLI; a library user's process is
 * left as its owner configured it).
 *
 * The gateway's JavaScript heap is small (about 8 MiB live) while request bodies stream through it as
 * 64 KiB buffers held outside that heap. V8 counts the outside memory allocated since the last full
 * collection against the old generation's limit, which it sizes from the small live heap: so a fast
 * upload keeps reaching that limit, and V8 starts an incremental mark-compact every few megabytes of body
 * (about 20 per 512 MiB) although the buffers die young and the scavenger frees them anyway. Measured
 * with one 512 MiB PATCH (curl, HTTP/1.1 and h2c): about 1.6 s of CPU with incremental marking, 1.0 s
 * without, the same peak RSS. Full collections still happen (allocation failure, external memory
 * pressure), as one atomic pause, short on a heap this size; a gateway with a large heap (many thousands of
 * uploads at once) may want them incremental again: `node --incremental-marking`.
 */
export function turnOffIncrementalMarking(nodeArguments: readonly string[] = process.execArgv): void {
  // Whoever names the flag keeps their choice: `node --incremental-marking dist/cli/main.js` turns it back on.
  if (nodeArguments.some((argument) => /^--(no-)?incremental[-_]marking$/.test(argument))) return
  setFlagsFromString('--no-incremental-marking')
}
