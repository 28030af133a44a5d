import { startGcsFake } from '../fakes/gcs/gcs-fake.js'
import { GcsStore, type GcsStoreOptions } from '../../src/store/gcs/gcs-store.js'
import type { Store } from '../../src/store/store.js'
import type { StoreFactory } from '../support/gateway.js'

/**
 * A GCS store on its own GCS fake (test/fakes/gcs: the JSON API in memory, not GCS), one per test gateway,
 * for `useStoreForGateways`. Its clean-up fails when the store made a call the fake does not speak.
 * `sizeLimit: false` hides GCS's 5 TiB object limit from the gateway, for suites written for a store without
 * one (they check that `Tus-Max-Size` is absent then); test/gcs/gcs-http.test.ts checks the limit itself.
 */
export function gcsOnFake(options: Partial<GcsStoreOptions> & { readonly sizeLimit?: false } = {}): StoreFactory {
  const { sizeLimit, ...storeOptions } = options
  return async () => {
    const fake = await startGcsFake()
    fake.createBucket('uploads')
    const store = await GcsStore.connect({ bucket: 'uploads', endpoint: fake.endpoint, objectPrefix: 'tus', retry: { maxDelayMs: 50 }, ...storeOptions })
    return {
      store: sizeLimit === false ? withoutSizeLimit(store) : store,
      async cleanup() {
        await store.close()
        await fake.stop()
        if (fake.unhandled.length > 0) throw new Error(`the GCS store made calls the fake does not speak: ${JSON.stringify(fake.unhandled)}`)
      },
    }
  }
}

/** `store` with `capabilities.maxSize` left out; every method still runs on the store itself. */
function withoutSizeLimit(store: GcsStore): Store {
  const { maxSize: _limit, ...capabilities } = store.capabilities
  return new Proxy(store, {
    get(target, key) {
      if (key === 'capabilities') return capabilities
      const value: unknown = Reflect.get(target, key, target)
      // Bound to the store: its methods use private fields, which a proxy as `this` does not have.
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value
    },
  })
}
