import { runStoreSuite } from '../../src/store/conformance.suite.js'
import type { S3StoreOptions } from '../../src/store/s3/s3-store.js'
import { describeWithServer } from '../servers/availability.js'
import type { RadosgwServer } from '../servers/ceph-rgw.js'
import { freshBucket, openStore, radosgwWithSmallParts, removeBucket, TEST_MIN_PART } from './s3-support.js'

/** A fresh bucket and a store on it per test, both removed afterwards. */
function maker(server: () => RadosgwServer, options: Partial<S3StoreOptions>) {
  return async () => {
    const bucket = await freshBucket(server())
    const store = await openStore(server(), bucket, options)
    return {
      store,
      cleanup: async () => {
        await store.close()
        await removeBucket(server(), bucket)
      },
    }
  }
}

// The store conformance suite against a real S3 server (Ceph radosgw), in its part-size mode: radosgw told
// to take parts from 64 KiB, so appends cross many part boundaries quickly.
describeWithServer('S3 store on radosgw', radosgwWithSmallParts(), (server) => {
  runStoreSuite('s3 (parts of 128 KiB, 64 KiB at least, buffered on disk, signed with their SHA-256)', {
    make: maker(server, { minPartSize: TEST_MIN_PART, partSize: 2 * TEST_MIN_PART }),
    minPartSize: TEST_MIN_PART,
  })
  runStoreSuite('s3 (equal parts of 64 KiB as for R2, buffered in memory, no hashes)', {
    make: maker(server, { minPartSize: TEST_MIN_PART, partSize: TEST_MIN_PART, equalPartSizes: true, partBuffer: 'memory', disableContentHashes: true }),
    minPartSize: TEST_MIN_PART,
  })
})
