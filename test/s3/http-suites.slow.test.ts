import { describe } from 'vitest'
import { useStoreForGateways } from '../support/gateway.js'
import { describeWithServer } from '../servers/availability.js'
import { freshBucket, openStore, radosgwWithSmallParts, removeBucket, withoutSizeLimit } from './s3-support.js'

// The tus and draft HTTP suites and the tus-js-client interop tests (chunks, parallel uploads joined by
// concatenation, abort and resume) again, each gateway on a fresh bucket of a real S3 server (radosgw, parts of
// 128 KiB), over HTTP/1.1 only (the transports do not reach the store; the file-store run covers them all).
// Suites about the file store itself (tusd's upload directory, restarts on one directory), the transports
// and malformed input are left out: they do not reach the store either.

const SUITES = [
  '../tus/core.test.js',
  '../tus/creation.test.js',
  '../tus/download.test.js',
  '../tus/termination.test.js',
  '../tus/resume.test.js',
  '../tus/limits.test.js',
  '../tus/metadata-values.test.js',
  '../tus/targets.test.js',
  '../tus-ext/checksum.test.js',
  '../tus-ext/checksum-trailer.test.js',
  '../tus-ext/checksum-deferred-length.test.js',
  '../tus-ext/concatenation.test.js',
  '../tus-ext/concatenation-limits.test.js',
  '../tus-ext/discovery.test.js',
  '../ietf/append.test.js',
  '../ietf/creation.test.js',
  '../ietf/cancellation.test.js',
  '../ietf/completed-upload.test.js',
  '../ietf/digests.test.js',
  '../ietf/fields.test.js',
  '../ietf/metadata.test.js',
  '../ietf/offset-retrieval.test.js',
  '../ietf/tus-interplay.test.js',
  '../ietf/limits.test.js',
  '../ietf/informational.test.js',
  '../../interop/tus-js-client.test.js',
  '../../interop/tus-js-client-parallel.test.js',
  '../../interop/tus-js-client-options.test.js',
  '../../interop/ietf-tus-js-client.test.js',
]

describeWithServer('HTTP suites on the S3 store (radosgw)', radosgwWithSmallParts(), (server) => {
  useStoreForGateways(
    async () => {
      const bucket = await freshBucket(server())
      const store = await openStore(server(), bucket)
      return {
        store: withoutSizeLimit(store),
        cleanup: async () => {
          await store.close()
          await removeBucket(server(), bucket)
        },
      }
    },
    { transports: ['HTTP/1.1'] },
  )
  for (const suite of SUITES) {
    describe(suite, async () => {
      await import(suite)
    })
  }
})
