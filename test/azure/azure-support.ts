import { randomBytes } from 'node:crypto'
import { AzureStore, type AzureConnectOptions } from '../../src/store/azure/azure-store.js'
import type { AzuriteServer } from '../servers/azurite.js'

/** What a test may choose of a store it makes on Azurite (credentials and container are made up). */
export type TestStoreOptions = Omit<AzureConnectOptions, 'credentials' | 'container'>

/** A fresh container name: 3 to 63 lowercase letters and digits. */
export function containerName(): string {
  return `rg${randomBytes(8).toString('hex')}`
}

/**
 * An `AzureStore` on Azurite in a fresh container (created by `connect`, as at start-up), and a `cleanup`
 * that deletes the container with everything in it.
 */
export async function azureStore(server: AzuriteServer, options: TestStoreOptions = {}): Promise<{ store: AzureStore; cleanup(): Promise<void> }> {
  const store = await AzureStore.connect({ credentials: { connectionString: server.connectionString }, container: containerName(), ...options })
  return { store, cleanup: async () => void (await store.container.deleteIfExists()) }
}
