/** A signal that aborts when any of its sources does, and the way to let go of them. */
export interface EitherSignal {
  readonly signal: AbortSignal
  /** Removes the listeners on the sources: call it once the signal is no longer needed. */
  unlink(): void
}

/**
 * A signal that aborts with the reason of whichever of `sources` aborts first (at once when one has already).
 * Unlike `AbortSignal.any`, which on Node 20 leaves an entry in each source per call that no garbage
 * collection frees while the source lives (a leak when one lives as long as the gateway), it costs one
 * controller and a listener per source, which `unlink` removes: cheap enough for every request.
 */
export function eitherSignal(...sources: readonly AbortSignal[]): EitherSignal {
  const aborted = sources.find((source) => source.aborted)
  if (aborted !== undefined) return { signal: aborted, unlink: () => {} }
  const controller = new AbortController()
  const unlink = (): void => {
    for (const source of sources) source.removeEventListener('abort', onAbort)
  }
  function onAbort(this: AbortSignal): void {
    unlink()
    controller.abort(this.reason)
  }
  for (const source of sources) source.addEventListener('abort', onAbort, { once: true })
  return { signal: controller.signal, unlink }
}
