import type { Store } from '../store/store.js'
import { azureStoreFromFlags } from './azure-flags.js'
import { gcsStoreFromFlags } from './gcs-store-from-flags.js'
import type { CliOptions } from './options.js'
import { s3StoreFromFlags } from './s3-options.js'
import { fileStoreFromFlags } from './upload-dir.js'

/**
 * The store the flags ask for, opened, as tusd picks one: the flags of a backend (`--s3-bucket`, `--gcs-bucket`,
 * `--azure-storage`) select it; without any, the file store in `--upload-dir` (created if missing).
 * `given` holds the flags set on the command line or by their variables (`givenFlags`). Throws with a message
 * naming the flag when the flags contradict each other, or a store's flag comes without the flag choosing it.
 */
export async function storeFromFlags(options: CliOptions, given: ReadonlySet<string>): Promise<Store> {
  const chosen = [
    options.s3Bucket === undefined ? undefined : '--s3-bucket',
    (options.azureContainer ?? options.azureStorage) === undefined ? undefined : '--azure-container (--azure-storage)',
    options.gcsBucket === undefined ? undefined : '--gcs-bucket',
  ].filter((flag) => flag !== undefined)
  if (chosen.length > 1) throw new Error(`${chosen.join(' and ')} each choose a store: give one of them`)
  return (
    (await s3StoreFromFlags(options, given)) ??
    (await azureStoreFromFlags(options, process.env)) ??
    (await gcsStoreFromFlags(options)) ??
    (await fileStoreFromFlags(options))
  )
}
