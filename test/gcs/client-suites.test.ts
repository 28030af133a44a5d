import { useStoreForGateways } from '../support/gateway.js'
import { gcsOnFake } from './gcs-on-fake.js'

// The client interop suites, as they are, against gateways on GCS (a GCS fake each, test/fakes/gcs):
// tus-js-client (one PATCH, chunks, deferred length, abort and resume, parallel uploads, its options) and
// curl in the draft's modes. Every test below is one of theirs. Pieces of 1 MiB.
useStoreForGateways(gcsOnFake({ pieceSize: 1024 * 1024 }))

await import('../../interop/tus-js-client.test.js')
await import('../../interop/tus-js-client-parallel.test.js')
await import('../../interop/tus-js-client-options.test.js')
await import('../../interop/ietf-tus-js-client.test.js')
await import('../../interop/ietf-curl.test.js')
