/**
 * `resumable-gateway/gcs`: the Google Cloud Storage store, apart from the main entry so that a gateway on the
 * file store never loads @google-cloud/storage. `await GcsStore.connect({ bucket, objectPrefix, endpoint })`;
 * hand the store to `createGateway({ store })`.
 */
export { GcsStore, type GcsStoreOptions } from './store/gcs/gcs-store.js'
