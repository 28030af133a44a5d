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
  // Each read races its own promise: racing every read against one long-lived "aborted" promise would
  // hang a reaction on it per read, and with it every chunk, until the body ends (the whole body in memory).
  let settleRead: (value: 'aborted') => void = () => {}
  const release = (): void => settleRead('aborted')
  signal.addEventListener('abort', release, { once: true })
  // Set once the body itself has finished (ended or thrown): only then is there nothing to release.
  let settled = false
  try {
    for (;;) {
      if (signal.aborted) return 'aborted'
      const result = await new Promise<IteratorResult<Uint8Array> | 'aborted'>((resolve, reject) => {
        settleRead = resolve
        iterator.next().then(resolve, (error: unknown) => {
          settled = true
          reject(error)
        })
      })
      settleRead = () => {}
      if (result === 'aborted') return 'aborted'
      if (result.done === true) {
        settled = true
        return 'ended'
      }
      await onChunk(result.value)
      if (signal.aborted) return 'aborted'
    }
  } finally {
    signal.removeEventListener('abort', release)
    // Not awaited: `return()` of an async generator waits for a pending `next()`, which may never come.
    if (!settled) iterator.return?.().catch(() => undefined)
  }
}
