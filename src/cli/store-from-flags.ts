import type { Store } from '../store/store.js'
import { azureStoreFromFlags } from './azure-flags.js'
import type { CliOptions } from './options.js'
import { s3StoreFromFlags } from './s3-options.js'

/**
 * The store the flags ask for, as tusd picks one: the flags of a backend (`--s3-bucket`, `--gcs-bucket`,
 * `--azure-storage`) select it; without any, undefined: the gateway opens its file store in `--upload-dir`.
 * Throws with a message naming the flag when the flags contradict each other.
 */
export async function storeFromFlags(options: CliOptions): Promise<Store | undefined> {
  if (options.s3Bucket !== undefined && (options.azureContainer ?? options.azureStorage) !== undefined) {
    throw new Error('--s3-bucket and --azure-container (--azure-storage) each choose a store: give one of them')
  }
  return (await s3StoreFromFlags(options)) ?? (await azureStoreFromFlags(options, process.env))
}
