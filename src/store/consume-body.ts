/** How `consumeBody` ended: the body ran out, or the signal stopped it. */
export type BodyEnd = 'ended' | 'aborted'

/**
 * Feeds the chunks of `body` to `onChunk`, one at a time (the next chunk is asked for once `onChunk` has
 * settled), until the body ends or `signal` aborts, and says which. An abort is seen at once, also while the
 * body waits for its client: a store must not hang on a body that stalls when it is asked to let go.
 *
 * Rethrows the body's error (every chunk before it has been fed). If `onChunk` throws, or the signal
 * aborts, the body is released (`return()`, which ends a request stream) and the error is rethrown.
 */
export async function consumeBody(
  body: AsyncIterable<Uint8Array>,
  signal: AbortSignal,
  onChunk: (chunk: Uint8Array) => void | Promise<void>,
): Promise<BodyEnd> {
  if (signal.aborted) return 'aborted'
  const iterator = body[Symbol.asyncIterator]()
  let release: (() => void) | undefined
  const aborted = new Promise<'aborted'>((resolve) => {
    release = () => resolve('aborted')
    signal.addEventListener('abort', release, { once: true })
  })
  // Set once the body itself has finished (ended or thrown): only then is there nothing to release.
  let settled = false
  try {
    for (;;) {
      // race() subscribes to the read, so one still pending when the signal wins never rejects unhandled.
      const next = iterator.next().catch((error: unknown) => {
        settled = true
        throw error
      })
      const result = await Promise.race([next, aborted])
      if (result === 'aborted') return 'aborted'
      if (result.done === true) {
        settled = true
        return 'ended'
      }
      await onChunk(result.value)
      if (signal.aborted) return 'aborted'
    }
  } finally {
    if (release !== undefined) signal.removeEventListener('abort', release)
    // Not awaited: `return()` of an async generator waits for a pending `next()`, which may never come.
    if (!settled) iterator.return?.().catch(() => undefined)
  }
}
