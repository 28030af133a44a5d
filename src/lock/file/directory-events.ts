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
  #busy = false
  #closed = false

  constructor(directory: string, onName: (name: string | null) => void, onError: (error: unknown) => void) {
    this.#directory = directory
    this.#onName = onName
    this.#onError = onError
  }

  /** Starts watching unless it already does. Throws when the directory cannot be watched at all. */
  ensure(): void {
    if (this.#closed || this.#watcher !== undefined) return
    const watcher = watch(this.#directory, (_event, name) => this.#onName(typeof name === 'string' ? name : null))
    if (!this.#busy) watcher.unref()
    watcher.on('error', (error) => {
      watcher.close()
      if (this.#watcher === watcher) this.#watcher = undefined
      this.#onError(error)
      // Whatever changed meanwhile is unknown.
      this.#onName(null)
    })
    this.#watcher = watcher
  }

  /**
   * Whether the events are awaited (someone waits for a lock, or holds one that may be asked to let go):
   * then the watcher keeps the process alive, as a socket with a request on it would; otherwise a locker
   * waiting for nothing does not.
   */
  setBusy(busy: boolean): void {
    this.#busy = busy
    if (busy) this.#watcher?.ref()
    else this.#watcher?.unref()
  }

  /** Stops watching for good. */
  close(): void {
    this.#closed = true
    this.#watcher?.close()
    this.#watcher = undefined
  }
}
