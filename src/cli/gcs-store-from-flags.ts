import type { GcsStore } from '../store/gcs/gcs-store.js'
import type { CliOptions } from './options.js'

/**
 * The GCS store `--gcs-bucket` asks for, connected (the bucket answered a listing), with tusd's credentials:
 * a service account key file in `GCS_SERVICE_ACCOUNT_FILE`, otherwise the library's Application Default
 * Credentials (`GOOGLE_APPLICATION_CREDENTIALS`, the metadata server). Undefined without `--gcs-bucket`.
 * Throws with a message naming the flag when a GCS flag comes without the bucket, or the bucket is missing,
 * refused or unreachable.
 */
export async function gcsStoreFromFlags(options: CliOptions, env: NodeJS.ProcessEnv = process.env): Promise<GcsStore | undefined> {
  const { gcsBucket, gcsObjectPrefix, gcsEndpoint } = options
  if (gcsBucket === undefined) {
    if (gcsObjectPrefix !== undefined) throw new Error('--gcs-object-prefix needs --gcs-bucket')
    if (gcsEndpoint !== undefined) throw new Error('--gcs-endpoint needs --gcs-bucket')
    return undefined
  }
  const keyFilename = env['GCS_SERVICE_ACCOUNT_FILE']
  // Loaded only when asked for: @google-cloud/storage costs ~20 MiB of memory that the file store does without.
  const { GcsStore } = await import('../store/gcs/gcs-store.js')
  try {
    return await GcsStore.connect({
      bucket: gcsBucket,
      ...(gcsObjectPrefix === undefined ? {} : { objectPrefix: gcsObjectPrefix }),
      ...(gcsEndpoint === undefined ? {} : { endpoint: gcsEndpoint }),
      ...(keyFilename === undefined || keyFilename === '' ? {} : { keyFilename }),
    })
  } catch (error) {
    throw new Error(`--gcs-bucket: ${error instanceof Error ? error.message : String(error)}`, { cause: error })
  }
}
