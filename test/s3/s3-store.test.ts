import { runStoreSuite } from '../../src/store/conformance.suite.js'
import { describeWithServer } from '../servers/availability.js'
import { freshBucket, openStore, radosgwWithSmallParts, removeBucket, TEST_MIN_PART } from './s3-support.js'

// The store conformance suite against a real S3 server (Ceph radosgw), in its part-size mode: parts of
// 128 KiB (radosgw told to take parts from 64 KiB), so appends cross many part boundaries quickly.
describeWithServer('S3 store on radosgw', radosgwWithSmallParts(), (server) => {
  runStoreSuite('s3 (radosgw, 64 KiB minimum part, 128 KiB parts)', {
    make: async () => {
      const bucket = await freshBucket(server())
      const store = await openStore(server(), bucket)
      return {
        store,
        cleanup: async () => {
          await store.close()
          await removeBucket(server(), bucket)
        },
      }
    },
    minPartSize: TEST_MIN_PART,
  })
})
