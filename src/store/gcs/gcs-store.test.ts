import { afterAll, beforeAll } from 'vitest'
import { startGcsFake, type GcsFake } from '../../../test/fakes/gcs/gcs-fake.js'
import { runStoreSuite } from '../conformance.suite.js'
import { GcsStore, type GcsStoreOptions } from './gcs-store.js'

// Against the GCS fake (test/fakes/gcs: the JSON API in memory, not GCS), one bucket per test.
let fake: GcsFake
let buckets = 0
beforeAll(async () => {
  fake = await startGcsFake()
})
afterAll(() => fake.stop())

function gcs(options: Partial<GcsStoreOptions> = {}): () => Promise<{ store: GcsStore; cleanup(): Promise<void> }> {
  return async () => {
    const bucket = `bucket-${++buckets}`
    fake.createBucket(bucket)
    const store = await GcsStore.connect({ bucket, endpoint: fake.endpoint, retry: { maxDelayMs: 10 }, ...options })
    return { store, cleanup: () => store.close() }
  }
}

const PIECE = 64 * 1024

// Pieces of 64 KiB: appends become many chunk objects, finishes compose them over several levels.
runStoreSuite('gcs (fake), 64 KiB pieces, prefixed', { make: gcs({ pieceSize: PIECE, objectPrefix: 'uploads/2026' }), minPartSize: PIECE })
runStoreSuite('gcs (fake), 8 MiB pieces', { make: gcs() })
