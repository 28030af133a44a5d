import { afterAll, beforeAll, describe } from 'vitest'
import { draftTransports, type DraftTransport } from '../ietf/draft-client.js'
import { useStoreForGateways } from '../support/gateway.js'
import { transports, type Transport } from '../support/transports.js'
import { describeWithServer } from '../servers/availability.js'
import { azurite } from '../servers/azurite.js'
import { azureStore } from './azure-support.js'

// The tus and draft HTTP suites, unchanged, on gateways whose store is an AzureStore on Azurite (a fresh
// container per gateway): their files are imported here after `useStoreForGateways`, so every gateway they
// start without a store or directory of their own stores in Azure. Left out are the files that look at the
// file store's directory (tusd's file fixture, expiration by file times, leftover files, a data file removed
// behind the gateway's back) and those that test no store (the CLI, the README's examples).
//
// Over HTTP/1.1 only: the store sees the same calls whatever the transport (the file-store runs cover h2c
// and TLS), and Azurite's few milliseconds per call make every transport cost a minute. The lists are cut
// before the suites' files read them; this file's modules are its own (vitest isolates test files).
;(transports as Transport[]).splice(1)
;(draftTransports as DraftTransport[]).splice(1)

describeWithServer('tus and draft HTTP suites on an AzureStore (Azurite)', azurite, (server) => {
  beforeAll(() => useStoreForGateways(() => azureStore(server())))
  afterAll(() => useStoreForGateways(undefined))

  describe('tus 1.0.0', async () => {
    await import('../tus/core.test.js')
    await import('../tus/creation.test.js')
    await import('../tus/resume.test.js')
    await import('../tus/download.test.js')
    await import('../tus/termination.test.js')
    await import('../tus/metadata-values.test.js')
    await import('../tus/limits.test.js')
    await import('../tus/expect-continue.test.js')
  })

  describe('tus 1.0.0 extensions', async () => {
    await import('../tus-ext/checksum.test.js')
    await import('../tus-ext/checksum-trailer.test.js')
    await import('../tus-ext/checksum-unannounced-trailer.test.js')
    await import('../tus-ext/checksum-deferred-length.test.js')
    await import('../tus-ext/concatenation.test.js')
    await import('../tus-ext/concatenation-unfinished.test.js')
    await import('../tus-ext/discovery.test.js')
  })

  describe('IETF draft', async () => {
    await import('../ietf/creation.test.js')
    await import('../ietf/append.test.js')
    await import('../ietf/cancellation.test.js')
    await import('../ietf/completed-upload.test.js')
    await import('../ietf/digests.test.js')
    await import('../ietf/limits.test.js')
    await import('../ietf/metadata.test.js')
    await import('../ietf/informational.test.js')
    await import('../ietf/timeouts.test.js')
    await import('../ietf/tus-interplay.test.js')
  })
})
