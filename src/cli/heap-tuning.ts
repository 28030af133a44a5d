import { setFlagsFromString } from 'node:v8'

/**
 * Tunes V8's garbage collector for the gateway's own process (the CLI; a library user's process is left as
 * its owner configured it). Whoever names a flag keeps their choice: node's own arguments and
 * `NODE_OPTIONS` are both looked at (`node --incremental-marking dist/cli/main.js` turns that back on).
 *
 * The gateway's JavaScript heap is small (about 8 MiB live) while request bodies stream through it as
 * 64 KiB buffers held outside that heap. Two of V8's defaults suit that badly:
 *
 * - Incremental marking. V8 counts the outside memory allocated since the last full collection against
 *   the old generation's limit, which it sizes from the small live heap: so a fast upload keeps reaching
 *   that limit, and V8 starts an incremental mark-compact every few megabytes of body (about 20 per
 *   512 MiB) although the buffers die young and the scavenger frees them anyway. Measured with one
 *   512 MiB PATCH (curl, HTTP/1.1 and h2c): about 1.6 s of CPU with incremental marking, 1.0 s without,
 *   the same peak RSS. Full collections still happen (allocation failure, external memory pressure), as
 *   one atomic pause, short on a heap this size; a gateway with a large heap (many thousands of uploads at
 *   once) may want them incremental again.
 * - A young generation that grows with the allocation rate, to 16 MiB per semi-space. A streaming body
 *   allocates fast (a buffer object per read), so the young generation grows to its largest, and that
 *   memory stays committed. Kept at its starting size (`--semi-space-growth-factor=1`) it takes ~2 MiB:
 *   measured, peak RSS for one 512 MiB PATCH 77-81 MiB instead of 100-104 (same CPU), and on GCS 105
 *   instead of 133 MiB for 1 GiB, 148 instead of 168 for 8 x 256 MiB. The price is more scavenges under
 *   thousands of small requests a second (about 5% more CPU for 4 KiB creations-with-upload); a gateway
 *   serving mostly those may prefer V8's default: `node --semi-space-growth-factor=2`.
 */
export function tuneHeap(nodeArguments: readonly string[] = [...process.execArgv, ...nodeOptions()]): void {
  if (!names(nodeArguments, /^--(no-)?incremental[-_]marking$/)) setFlagsFromString('--no-incremental-marking')
  if (!names(nodeArguments, /^--(semi[-_]space[-_]growth[-_]factor|(max|min)[-_]semi[-_]space[-_]size)(=|$)/)) {
    setFlagsFromString('--semi-space-growth-factor=1')
  }
}

function names(nodeArguments: readonly string[], flag: RegExp): boolean {
  return nodeArguments.some((argument) => flag.test(argument))
}

/** The words of `NODE_OPTIONS` (node splits it on spaces, quotes aside, which no V8 flag needs). */
function nodeOptions(): string[] {
  return (process.env['NODE_OPTIONS'] ?? '').split(/\s+/).filter((word) => word !== '')
}
