import { runStoreSuite } from '../../src/store/conformance.suite.js'
import { describeWithServer } from '../servers/availability.js'
import { azurite } from '../servers/azurite.js'
import { azureStore } from './azure-support.js'

const KiB = 1024

describeWithServer('AzureStore on Azurite', azurite, (server) => {
  // Blocks of the default 4 MiB: appends of the suite's small bodies end in one short block each.
  runStoreSuite('azure', { make: () => azureStore(server()) })

  // Blocks of 64 KiB, the part size the suite appends around: appends that fill several blocks, end in a short
  // one, fail half-way through one, and roll back across them.
  runStoreSuite('azure, 64 KiB blocks', { make: () => azureStore(server(), { blockSize: 64 * KiB, bufferMemory: 256 * KiB }), minPartSize: 64 * KiB })
})
