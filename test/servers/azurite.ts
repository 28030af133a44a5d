import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import type { ServerKind, TestServer } from './availability.js'
import { answersHttp, freePort, waitUntil } from './readiness.js'
import { startWithRetry, Startup } from './startup.js'

/** Azurite's blob service on 127.0.0.1, keeping its data in memory. */
export interface AzuriteServer extends TestServer {
  /** The well-known development account, `devstoreaccount1`. */
  readonly accountName: string
  /** The well-known development account's key (base64). */
  readonly accountKey: string
  /** `http://127.0.0.1:PORT/devstoreaccount1` (path-style: the account is the first path segment). */
  readonly blobEndpoint: string
  /** A connection string for `BlobServiceClient.fromConnectionString`. */
  readonly connectionString: string
  readonly port: number
}

/** Azurite's documented development account: the same in every Azurite, never a secret. */
const ACCOUNT_NAME = 'devstoreaccount1'
const ACCOUNT_KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=='

/** The `azurite-blob` entry point of the npm devDependency, or undefined when it is not installed. */
function azuriteBlobMain(): string | undefined {
  try {
    const manifest = createRequire(import.meta.url).resolve('azurite/package.json')
    const main = join(dirname(manifest), 'dist', 'src', 'blob', 'main.js')
    return existsSync(main) ? main : undefined
  } catch {
    return undefined
  }
}

/** Azurite (npm devDependency `azurite`), blob service only. */
export const azurite: ServerKind<AzuriteServer> = {
  name: 'azurite',
  unavailable: () => (azuriteBlobMain() === undefined ? 'the npm package azurite is not installed (npm ci)' : undefined),
  start: () => startAzurite(),
}

/**
 * Starts Azurite's blob service (`azurite-blob`, in its own node process) on a free loopback port with
 * in-memory persistence (`--location` cannot go with it; a fresh temp directory is its working
 * directory instead), resolving once it answers HTTP
 * (~1.5-2 s). `--skipApiVersionCheck` lets @azure/storage-blob speak a newer API version than Azurite's;
 * `--disableTelemetry` keeps it off the network. Retries once; throws a {@link ServerStartError} with its
 * output if it does not start. Callers must `stop()` it.
 */
export function startAzurite(): Promise<AzuriteServer> {
  const main = azuriteBlobMain()
  if (main === undefined) return Promise.reject(new Error('azurite is not installed: run npm ci'))
  return startWithRetry('azurite', async () => {
    const startup = await Startup.begin('azurite')
    try {
      const port = await freePort()
      const args = [
        main,
        ...['--blobHost', '127.0.0.1', '--blobPort', String(port), '--inMemoryPersistence'],
        ...['--silent', '--skipApiVersionCheck', '--disableTelemetry'],
      ]
      const daemon = startup.spawn('azurite-blob', process.execPath, args)
      const blobEndpoint = `http://127.0.0.1:${port}/${ACCOUNT_NAME}`
      await waitUntil(`azurite to answer on port ${port}`, () => answersHttp(`${blobEndpoint}?comp=list`), {
        watch: [daemon],
        timeoutMs: 20_000,
        intervalMs: 100,
      })
      return {
        accountName: ACCOUNT_NAME,
        accountKey: ACCOUNT_KEY,
        blobEndpoint,
        connectionString: `DefaultEndpointsProtocol=http;AccountName=${ACCOUNT_NAME};AccountKey=${ACCOUNT_KEY};BlobEndpoint=${blobEndpoint};`,
        port,
        stop: () => startup.finish(),
      }
    } catch (error) {
      return startup.abandon(error)
    }
  })
}
