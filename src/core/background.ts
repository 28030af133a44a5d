import { ShutdownRequested } from '../model/stop-reasons.js'

/**
 * Work the service does on its own, after the request that caused it (completing final uploads): tracked
 * until `close`, which aborts `signal` and waits for it. Errors go to `onError` (never while closing).
 */
export class Background {
  readonly #running = new Set<Promise<void>>()
  readonly #closed = new AbortController()
  readonly #onError: (error: unknown, task: string) => void

  constructor(onError: (error: unknown, task: string) => void = () => {}) {
    this.#onError = onError
  }

  /** Aborted (with ShutdownRequested) by `close`: the signal of every background call. */
  get signal(): AbortSignal {
    return this.#closed.signal
  }

  /** Runs `work`; resolves when it is done, never rejects (its error is reported). */
  run(task: string, work: () => Promise<unknown>): Promise<void> {
    const running: Promise<void> = work()
      .then(
        () => undefined,
        (error: unknown) => {
          if (!this.#closed.signal.aborted) this.#onError(error, task)
        },
      )
      .finally(() => this.#running.delete(running))
    this.#running.add(running)
    return running
  }

  /** Aborts the work and waits for it to end. */
  async close(): Promise<void> {
    this.#closed.abort(new ShutdownRequested())
    await Promise.allSettled([...this.#running])
  }
}
