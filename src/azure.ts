/**
 * `resumable-gateway/azure`: the Azure Blob Storage store, apart from the main entry so that a gateway on the
 * file store never loads the Azure SDK. `AzureStore.connect({ credentials, container })` creates the container
 * when it is missing; hand the store to `createGateway({ store })`.
 */
export { AzureStore, type AzureConnectOptions, type AzureCredentials, type AzureStoreOptions } from './store/azure/azure-store.js'
export type { AzureUpload } from './store/azure/azure-upload.js'
export { UploadIdTaken } from './store/azure/info-blob.js'
