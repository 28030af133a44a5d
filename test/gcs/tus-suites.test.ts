import { useStoreForGateways } from '../support/gateway.js'
import { gcsOnFake } from './gcs-on-fake.js'

// The tus 1.0.0 suites, as they are, against gateways on GCS (a GCS fake each, test/fakes/gcs): every test
// below is one of theirs. Left out: those that look into the file store's directory (tusd-fixture, expiration,
// concatenation-unfinished, concatenation-limits), and transport-only ones, which no store changes.
// Pieces of 64 KiB, so that larger bodies become several chunk objects; no size limit shown (see gcs-on-fake.ts).
useStoreForGateways(gcsOnFake({ pieceSize: 64 * 1024, sizeLimit: false }))

await import('../tus/core.test.js')
await import('../tus/creation.test.js')
await import('../tus/download.test.js')
await import('../tus/termination.test.js')
await import('../tus/limits.test.js')
await import('../tus/resume.test.js')
await import('../tus/metadata-values.test.js')
await import('../tus-ext/checksum.test.js')
await import('../tus-ext/checksum-trailer.test.js')
await import('../tus-ext/checksum-deferred-length.test.js')
await import('../tus-ext/concatenation.test.js')
await import('../tus-ext/discovery.test.js')
