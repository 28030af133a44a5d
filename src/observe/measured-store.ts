import type { Store, StoredUpload } from '../store/store.js'

/** Where a measured store reports: each operation's duration and outcome, and appends running. */
export interface StoreObserver {
  operation(name: string, seconds: number, ok: boolean): void
  /** An append started (+1) or ended (-1): uploads receiving bytes now. */
  appending(delta: 1 | -1): void
}

/**
 * A store that times every operation of `store` and of its uploads, and keeps everything else as it is:
 * the same capabilities, the same optional methods (the service checks them), the same errors.
 */
export function measuredStore(store: Store, observer: StoreObserver): Store {
  const handles = new WeakMap<StoredUpload, StoredUpload>()
  const timed = async <T>(name: string, work: () => Promise<T>): Promise<T> => {
    const started = performance.now()
    let ok = false
    try {
      const result = await work()
      ok = true
      return result
    } finally {
      observer.operation(name, (performance.now() - started) / 1000, ok)
    }
  }
  const wrap = (inner: StoredUpload): StoredUpload => {
    const { rollBack, terminate, read, concatenate } = inner
    const handle: StoredUpload = {
      get state() {
        return inner.state
      },
      get finished() {
        return inner.finished
      },
      append: async (body, signal) => {
        observer.appending(1)
        try {
          return await timed('append', () => inner.append(body, signal))
        } finally {
          observer.appending(-1)
        }
      },
      update: (changes, signal) => timed('update', () => inner.update(changes, signal)),
      finish: (signal) => timed('finish', () => inner.finish(signal)),
      ...(rollBack === undefined ? {} : { rollBack: (signal: AbortSignal) => timed('rollBack', () => rollBack.call(inner, signal)) }),
      ...(terminate === undefined ? {} : { terminate: (signal: AbortSignal) => timed('terminate', () => terminate.call(inner, signal)) }),
      ...(read === undefined ? {} : { read: (range: Parameters<typeof read>[0], signal: AbortSignal) => timed('read', () => read.call(inner, range, signal)) }),
      ...(concatenate === undefined
        ? {}
        : {
            // The store gets its own handles back: it may rely on what it put in them.
            concatenate: (partials: readonly StoredUpload[], signal: AbortSignal) =>
              timed('concatenate', () => concatenate.call(inner, partials.map((partial) => handles.get(partial) ?? partial), signal)),
          }),
    }
    handles.set(handle, inner)
    return handle
  }
  const { list, sweepLeftovers, close } = store
  return {
    capabilities: store.capabilities,
    isValidId: (id) => store.isValidId(id),
    create: async (init, signal) => wrap(await timed('create', () => store.create(init, signal))),
    open: async (id, signal) => wrap(await timed('open', () => store.open(id, signal))),
    ...(list === undefined ? {} : { list: (signal: AbortSignal) => list.call(store, signal) }),
    ...(sweepLeftovers === undefined ? {} : { sweepLeftovers: (signal: AbortSignal) => timed('sweepLeftovers', () => sweepLeftovers.call(store, signal)) }),
    ...(close === undefined ? {} : { close: () => close.call(store) }),
  }
}
