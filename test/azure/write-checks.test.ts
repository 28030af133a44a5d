import { expect, it } from 'vitest'
import { checkBeforeWrites } from '../../src/model/write-checks.js'
import { describeWithServer } from '../servers/availability.js'
import { azurite } from '../servers/azurite.js'
import { azureStore } from './azure-support.js'

// Every call the store sends to Azure first runs the checks before writes (a lease found lost by the clock
// after the process was paused aborts its holder's signal, and the call is not sent).

describeWithServer('the Azure store and the checks before writes', azurite, (server) => {
  it('runs them before each call, so a call whose signal a check aborts never reaches Azure', async () => {
    const { store, cleanup } = await azureStore(server())
    const controller = new AbortController()
    let checks = 0
    const stop = checkBeforeWrites(() => {
      checks++
      controller.abort(new Error('the lease ran out'))
    })
    try {
      const id = '0123456789abcdef0123456789abcdef'
      await expect(store.create({ id, metadata: {} }, controller.signal)).rejects.toThrow()
      expect(checks).toBeGreaterThan(0)
      stop()
      expect(await store.container.getBlobClient(`${id}.info`).exists()).toBe(false)
    } finally {
      stop()
      await cleanup()
    }
  })
})
