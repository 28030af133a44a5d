/**
 * `resumable-gateway/s3`: the S3 store, apart from the main entry so that a gateway on the file store never
 * loads the AWS SDK. `await S3Store.open({ bucket, endpoint, ... })`; hand the store to `createGateway({ store })`.
 */
export { S3Store, type S3StoreOptions } from './store/s3/s3-store.js'
