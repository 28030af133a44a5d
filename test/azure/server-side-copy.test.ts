import { afterAll, beforeAll, expect, it } from 'vitest'
import { AzureStore } from '../../src/store/azure/azure-store.js'
import { runStoreSuite } from '../../src/store/conformance.suite.js'
import { describeWithServer } from '../servers/availability.js'
import { azurite } from '../servers/azurite.js'
import { containerName } from './azure-support.js'
import { CopySourceProxy } from './copy-source-proxy.js'

// Azure copies the blocks of concatenations and roll-backs itself (`stageBlockFromURL` with ranges, the source
// named by a read-only SAS). Azurite does not implement that call; a proxy in front of it answers it as Azure
// documents it (copy-source-proxy.ts), so the requests the store makes and the SAS it signs (which Azurite
// checks) are tested, and the store suite passes with every block copied that way.

describeWithServer('AzureStore copying blocks server side (stageBlockFromURL, answered by a stand-in)', azurite, (server) => {
  let proxy: CopySourceProxy
  beforeAll(async () => {
    proxy = await CopySourceProxy.start(server().port, server().accountName, server().accountKey)
  })
  afterAll(async () => {
    await proxy?.close()
  })

  const make = async (): Promise<{ store: AzureStore; cleanup(): Promise<void> }> => {
    const store = await AzureStore.connect({
      credentials: { accountName: server().accountName, accountKey: server().accountKey, endpoint: `http://127.0.0.1:${proxy.port}/${server().accountName}` },
      container: containerName(),
      blockSize: 64 * 1024,
    })
    return {
      store,
      cleanup: async () => {
        // Not one block was streamed through the store instead.
        expect(store.copyMode).toBe('server')
        await store.container.deleteIfExists()
      },
    }
  }

  runStoreSuite('azure, blocks copied by Azure', { make, minPartSize: 64 * 1024 })

  it('copied the blocks of the suite’s concatenations and roll-backs server side', () => {
    expect(proxy.copies).toBeGreaterThan(0)
  })
})
