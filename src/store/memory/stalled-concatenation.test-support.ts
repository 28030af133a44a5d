import { MemoryStore } from './memory-store.js'

/**
 * A memory store whose concatenations last until their signal aborts (as the copy of large partial uploads
 * lasts long enough for a shutdown to come in the middle of it), and a promise of the first one's start.
 */
export function storeWithStalledConcatenation(): { store: MemoryStore; copyStarted: Promise<void> } {
  const store = new MemoryStore()
  let copying: () => void = () => {}
  const copyStarted = new Promise<void>((resolve) => (copying = resolve))
  const create = store.create.bind(store)
  store.create = async (init, signal) => {
    const handle = await create(init, signal)
    handle.concatenate = (_partials, copySignal) => {
      copying()
      return new Promise((_resolve, reject) => copySignal.addEventListener('abort', () => reject(copySignal.reason), { once: true }))
    }
    return handle
  }
  return { store, copyStarted }
}
