import type { AccessTier } from '@azure/storage-blob'
import { InvalidArgumentError } from 'commander'
import type { AzureCredentials, AzureStore } from '../store/azure/azure-store.js'

/** The flags of the Azure store, as `CliOptions` holds them after parsing. */
export interface AzureFlags {
  azureContainer?: string
  azureStorage?: string
  azureContainerAccessType?: 'blob' | 'container' | 'private'
  azureBlobAccessTier?: AccessTier
  azureObjectPrefix?: string
  azureEndpoint?: string
}

// Azure's container names: 3 to 63 lowercase letters, digits and single hyphens, starting with a letter or digit.
const CONTAINER = /^(?=.{3,63}$)[a-z0-9]+(-[a-z0-9]+)*$/

/** An Azure container name, such as `uploads`. */
export function parseContainerName(value: string): string {
  if (!CONTAINER.test(value)) throw new InvalidArgumentError('expected a container name: 3 to 63 lowercase letters, digits and single hyphens')
  return value
}

/** tusd's `-azure-container-access-type`: `blob`, `container`, or `""` / `private` (the default). */
export function parseContainerAccessType(value: string): 'blob' | 'container' | 'private' {
  const normalized = value.trim().toLowerCase()
  if (normalized === '' || normalized === 'private') return 'private'
  if (normalized === 'blob' || normalized === 'container') return normalized
  throw new InvalidArgumentError('expected blob, container or private')
}

const TIERS: Record<string, AccessTier> = { hot: 'Hot', cool: 'Cool', cold: 'Cold', archive: 'Archive' }

/** tusd's `-azure-blob-access-tier`: `hot`, `cool`, `cold` or `archive`, in any case. */
export function parseAccessTier(value: string): AccessTier {
  const tier = TIERS[value.trim().toLowerCase()]
  if (tier === undefined) throw new InvalidArgumentError('expected hot, cool, cold or archive')
  return tier
}

/**
 * The Azure store the flags ask for, or undefined when no container is named. As tusd: the container is
 * `--azure-storage` (tusd's name) or `--azure-container`, created at start-up when missing; the account comes
 * from `AZURE_STORAGE_ACCOUNT` and `AZURE_STORAGE_KEY` (the endpoint from `--azure-endpoint`, by default
 * `https://<account>.blob.core.windows.net`), or from `AZURE_STORAGE_CONNECTION_STRING`. Throws with a message
 * naming the flag or variable that is missing or contradicts another, and when Azure cannot be reached.
 */
export async function azureStoreFromFlags(flags: AzureFlags, env: NodeJS.ProcessEnv): Promise<AzureStore | undefined> {
  const { azureContainer, azureStorage } = flags
  if (azureContainer !== undefined && azureStorage !== undefined && azureContainer !== azureStorage) {
    throw new Error(`--azure-container (${azureContainer}) and --azure-storage (${azureStorage}) name the same thing, a container: give one`)
  }
  const container = azureContainer ?? azureStorage
  if (container === undefined) {
    const stray = (['azureContainerAccessType', 'azureBlobAccessTier', 'azureObjectPrefix', 'azureEndpoint'] as const).find((flag) => flags[flag] !== undefined)
    if (stray !== undefined) throw new Error(`--${kebab(stray)} needs --azure-container (or tusd's --azure-storage)`)
    return undefined
  }
  const credentials = azureCredentials(flags.azureEndpoint, env)
  const accessType = flags.azureContainerAccessType === 'private' ? undefined : flags.azureContainerAccessType
  // Loaded only here: the Azure SDK costs a file-store gateway ~10 MiB of memory for nothing.
  const { AzureStore } = await import('../store/azure/azure-store.js')
  try {
    return await AzureStore.connect({
      credentials,
      container,
      ...(accessType === undefined ? {} : { containerAccessType: accessType }),
      ...(flags.azureBlobAccessTier === undefined ? {} : { accessTier: flags.azureBlobAccessTier }),
      ...(flags.azureObjectPrefix === undefined ? {} : { objectPrefix: flags.azureObjectPrefix }),
    })
  } catch (error) {
    const message = error instanceof Error ? error.message.split('\n')[0] : String(error)
    throw new Error(`cannot open the Azure container ${container}: ${message}`, { cause: error })
  }
}

function azureCredentials(endpoint: string | undefined, env: NodeJS.ProcessEnv): AzureCredentials {
  const accountName = env.AZURE_STORAGE_ACCOUNT
  const accountKey = env.AZURE_STORAGE_KEY
  const connectionString = env.AZURE_STORAGE_CONNECTION_STRING
  if (accountName !== undefined && accountName !== '') {
    if (accountKey === undefined || accountKey === '') {
      // tusd falls back to Azure AD identities here; this gateway signs with the account key only.
      throw new Error('AZURE_STORAGE_ACCOUNT is set without AZURE_STORAGE_KEY: the Azure store needs the account key')
    }
    return { accountName, accountKey, ...(endpoint === undefined ? {} : { endpoint }) }
  }
  if (connectionString !== undefined && connectionString !== '') {
    if (endpoint !== undefined) throw new Error('--azure-endpoint goes with AZURE_STORAGE_ACCOUNT and AZURE_STORAGE_KEY: a connection string names its own endpoint')
    return { connectionString }
  }
  throw new Error('the Azure store needs AZURE_STORAGE_ACCOUNT and AZURE_STORAGE_KEY (or AZURE_STORAGE_CONNECTION_STRING) in the environment')
}

function kebab(name: string): string {
  return name.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`)
}
