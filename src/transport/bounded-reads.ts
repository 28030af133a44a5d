import { finished, type Readable } from 'node:stream'

/**
 * Iterates a readable like `for await (const chunk of source)`, but each chunk is whatever the
 * source holds at that moment, capped at `maxChunk` bytes.
 *
 * An HTTP/2 request body arrives as DATA frames of at most 16 KiB, split again where socket reads
 * cut them: many small chunks, each costing a trip through the body guard, the store and a `writev`
 * entry. Reading what has gathered joins them (HTTP/1.1 bodies arrive in socket-read sized chunks
 * already). The cap keeps each joined chunk, a copy, small: a stream window's worth of buffered data
 * would otherwise come out as one multi-megabyte allocation.
 *
 * Throws the source's error, or a premature-close error when it closes before its end. Unlike the
 * built-in iterator, stopping early leaves the source as it is (not destroyed): the exchange decides
 * what happens to an unread body.
 */
export async function* boundedReads(source: Readable, maxChunk: number): AsyncGenerator<Buffer> {
  let wake: (() => void) | undefined
  const notify = (): void => {
    const waiting = wake
    wake = undefined
    waiting?.()
  }
  // undefined while running; null once ended cleanly; the error once failed.
  let outcome: Error | null | undefined
  const stopWatching = finished(source, { writable: false }, (error) => {
    outcome = error ?? null
    notify()
  })
  source.on('readable', notify)
  try {
    for (;;) {
      const available = source.readableLength
      const chunk = available > 0 ? (source.read(Math.min(available, maxChunk)) as Buffer | null) : source.read()
      if (chunk !== null) {
        yield chunk
        continue
      }
      if (outcome === null) return
      if (outcome !== undefined) throw outcome
      await new Promise<void>((resolve) => (wake = resolve))
    }
  } finally {
    source.off('readable', notify)
    stopWatching()
  }
}
