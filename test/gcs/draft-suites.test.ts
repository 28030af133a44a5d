import { useStoreForGateways } from '../support/gateway.js'
import { gcsOnFake } from './gcs-on-fake.js'

// The IETF draft suites, as they are, against gateways on GCS (a GCS fake each, test/fakes/gcs): every test
// below is one of theirs. Left out: offset-retrieval (it deletes a file of the file store), and those about
// the flag or timeouts, which no store changes. No size limit shown (see gcs-on-fake.ts).
useStoreForGateways(gcsOnFake({ pieceSize: 64 * 1024, sizeLimit: false }))

await import('../ietf/creation.test.js')
await import('../ietf/append.test.js')
await import('../ietf/cancellation.test.js')
await import('../ietf/completed-upload.test.js')
await import('../ietf/digests.test.js')
await import('../ietf/fields.test.js')
await import('../ietf/limits.test.js')
await import('../ietf/metadata.test.js')
await import('../ietf/tus-interplay.test.js')
