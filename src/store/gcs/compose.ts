import { combineCrc32c, parseCrc32c } from './crc32c.js'
import type { ComposeInit, GcsBucket } from './gcs-bucket.js'
import type { ObjectInfo } from './gcs-objects.js'

/** GCS's limit on the sources of one compose request. */
export const MAX_COMPOSE_SOURCES = 32

// tusd tries a compose whose CRC32C does not match up to three times before it gives up.
const COMPOSE_ATTEMPTS = 3

/** The calls a compose makes. */
export type ComposeCalls = Pick<GcsBucket, 'compose' | 'remove' | 'removeAll'>

/**
 * Composes `sources` (one or more, in order; one may repeat) into `destination`, with what `init` sets.
 * More than 32 sources are composed 32 at a time into temporary objects named by `temporary(level, i)`,
 * level after level, as tusd's gcsstore does; those are deleted at the end, also after a failure.
 *
 * Every compose is checked: its size and CRC32C must be those combined from its sources' (the bytes are
 * never read). A mismatch is tried again, and after three the destination is deleted and an `Error`
 * thrown. A missing source is GCS's 404 (`GcsRequestFailed`); other failures are the calls' own.
 */
export async function composeObjects(
  calls: ComposeCalls,
  sources: readonly ObjectInfo[],
  destination: string,
  temporary: (level: number, index: number) => string,
  init: ComposeInit,
  signal: AbortSignal,
): Promise<ObjectInfo> {
  if (sources.length === 0) throw new RangeError(`nothing to compose into ${destination}`)
  const made: string[] = []
  try {
    let level = sources
    for (let depth = 0; level.length > MAX_COMPOSE_SOURCES; depth++) {
      const next: ObjectInfo[] = []
      for (let at = 0; at < level.length; at += MAX_COMPOSE_SOURCES) {
        const name = temporary(depth, next.length)
        made.push(name)
        next.push(await composeChecked(calls, level.slice(at, at + MAX_COMPOSE_SOURCES), name, {}, signal))
      }
      level = next
    }
    return await composeChecked(calls, level, destination, init, signal)
  } finally {
    // Best effort: a temporary object left behind is a leftover `sweepLeftovers` removes later.
    await calls.removeAll(made, signal)
  }
}

async function composeChecked(calls: ComposeCalls, sources: readonly ObjectInfo[], destination: string, init: ComposeInit, signal: AbortSignal): Promise<ObjectInfo> {
  const size = sources.reduce((sum, source) => sum + source.size, 0)
  const crc32c = combinedCrc32c(sources)
  for (let attempt = 1; ; attempt++) {
    const composed = await calls.compose(sources, destination, init, signal)
    const crcHolds = crc32c === undefined || composed.crc32c === undefined || parseCrc32c(composed.crc32c) === crc32c
    if (composed.size === size && crcHolds) return composed
    if (attempt === COMPOSE_ATTEMPTS) {
      await calls.remove(destination, signal).catch(() => false)
      throw new Error(`the compose of ${sources.length} objects into ${destination} does not match them (size ${composed.size} of ${size}, CRC32C ${composed.crc32c ?? 'none'})`)
    }
  }
}

/** The CRC32C of the sources' bytes in order, or undefined when one of them has none to combine. */
function combinedCrc32c(sources: readonly ObjectInfo[]): number | undefined {
  let crc: number | undefined
  for (const source of sources) {
    if (source.crc32c === undefined) return undefined
    const own = parseCrc32c(source.crc32c)
    crc = crc === undefined ? own : combineCrc32c(crc, own, source.size)
  }
  return crc
}
