import type { Store } from '../store/store.js'
import { gcsStoreFromFlags } from './gcs-store-from-flags.js'
import type { CliOptions } from './options.js'

/**
 * The store the flags ask for, as tusd picks one: the flags of a backend (`--s3-bucket`, `--gcs-bucket`,
 * `--azure-storage`) select it; without any, undefined: the gateway opens its file store in `--upload-dir`.
 * Throws with a message naming the flag when the flags contradict each other.
 */
export async function storeFromFlags(options: CliOptions): Promise<Store | undefined> {
  return gcsStoreFromFlags(options)
}
