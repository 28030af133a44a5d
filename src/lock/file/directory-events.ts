import { watch, type FSWatcher } from 'node:fs'

/**
 * The names of entries that change in one directory, as the kernel reports them (inotify on Linux,
 * through `fs.watch`): created, removed, renamed or written files. `onName` receives null when the
 * platform does not say which entry changed. A watcher that fails (the directory was replaced, the
 * kernel's queue overflowed) is reported to `onError` and set up again by the next `ensure()`; the
 * caller re-checks on a bounded timer for events lost meanwhile.
 */
export class DirectoryEvents {
  readonly #directory: string
  readonly #onName: (name: string | null) => void
  readonly #onError: (error: unknown) => void
  #watcher: FSWatcher | undefined
  #closed = false

  constructor(directory: string, onName: (name: string | null) => void, onError: (error: unknown) => void) {
    this.#directory = directory
    this.#onName = onName
    this.#onError = onError
  }

  /** Starts watching unless it already does. Throws when the directory cannot be watched at all. */
  ensure(): void {
    if (this.#closed || this.#watcher !== undefined) return
    // Not persistent: a locker waiting for nothing must not keep the process alive.
    const watcher = watch(this.#directory, { persistent: false }, (_event, name) => this.#onName(typeof name === 'string' ? name : null))
    watcher.on('error', (error) => {
      watcher.close()
      if (this.#watcher === watcher) this.#watcher = undefined
      this.#onError(error)
      // Whatever changed meanwhile is unknown.
      this.#onName(null)
    })
    this.#watcher = watcher
  }

  /** Stops watching for good. */
  close(): void {
    this.#closed = true
    this.#watcher?.close()
    this.#watcher = undefined
  }
}
