import { Agent as HttpAgent } from 'node:http'
import { Agent as HttpsAgent } from 'node:https'
import { S3Client, type S3ClientConfig } from '@aws-sdk/client-s3'
import { beforeWrite } from '../../model/write-checks.js'

/** How the store's S3 client is made (when the store makes it). */
export interface S3ClientOptions {
  /** A custom endpoint (`http://127.0.0.1:7480`, MinIO, R2, Ceph): path-style addressing unless told otherwise. */
  readonly endpoint?: string
  /** The region; default from the SDK's chain (`AWS_REGION`, profiles), else `us-east-1` with a custom endpoint. */
  readonly region?: string
  /** Address buckets as `<endpoint>/<bucket>` (default: true with a custom endpoint, as tusd does). */
  readonly forcePathStyle?: boolean
  /**
   * When the SDK adds checksums of its own to request bodies: `WHEN_SUPPORTED` sends streamed bodies
   * `aws-chunked` with a trailing CRC32, which radosgw (411), Swift (501) and others refuse;
   * `WHEN_REQUIRED` (the default with a custom endpoint) sends them plain.
   */
  readonly requestChecksumCalculation?: 'WHEN_SUPPORTED' | 'WHEN_REQUIRED'
  /** Attempts of a call before it fails (the SDK's standard retry strategy, with backoff). Default 3. */
  readonly maxAttempts?: number
  /** How long a connection or a silent socket may take before the attempt fails, in milliseconds. Default 30 s. */
  readonly socketTimeoutMs?: number
  /** Sockets to S3 at most (default 64: part uploads, copies and reads side by side). */
  readonly maxSockets?: number
}

const SILENT = { debug() {}, info() {}, warn() {}, error() {}, trace() {} }

/**
 * An S3 client for the store: credentials from the SDK's chain (`AWS_ACCESS_KEY_ID` /
 * `AWS_SECRET_ACCESS_KEY`, `AWS_PROFILE` and the shared files, web identity, instance roles); bounded
 * retries; sockets kept alive; responses never checksummed (the store reads ranges); silent (the SDK
 * writes to the console otherwise, and the store reports its own failures).
 *
 * The SDK warns on Node.js 20 that its releases from 2027 will need Node.js 22; the client here works,
 * so the warning is turned off unless `AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED` says otherwise.
 */
export function createS3Client(options: S3ClientOptions): S3Client {
  process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] ??= 'true'
  const custom = options.endpoint !== undefined
  const socketTimeout = options.socketTimeoutMs ?? 30_000
  const agentOptions = { keepAlive: true, maxSockets: options.maxSockets ?? 64 }
  const config: S3ClientConfig = {
    ...(custom ? { endpoint: options.endpoint } : {}),
    ...(options.region === undefined ? {} : { region: options.region }),
    forcePathStyle: options.forcePathStyle ?? custom,
    requestChecksumCalculation: options.requestChecksumCalculation ?? (custom ? 'WHEN_REQUIRED' : 'WHEN_SUPPORTED'),
    responseChecksumValidation: 'WHEN_REQUIRED',
    maxAttempts: options.maxAttempts ?? 3,
    retryMode: 'standard',
    logger: SILENT,
    requestHandler: {
      connectionTimeout: socketTimeout,
      socketTimeout,
      httpAgent: new HttpAgent(agentOptions),
      httpsAgent: new HttpsAgent(agentOptions),
    },
  }
  const client = new S3Client(config)
  // Right before each attempt is sent, after signing and retries: see `beforeWrite`.
  client.middlewareStack.add(
    (next) => (args) => {
      beforeWrite()
      return next(args)
    },
    { step: 'finalizeRequest', name: 'checkBeforeWrite', priority: 'low' },
  )
  return client
}

/**
 * The client's region, or, when the SDK's chain names none and the client has a custom endpoint, a client
 * like it in `us-east-1` (S3-compatible servers take any region for signing). Throws the SDK's error
 * when neither applies.
 */
export async function withRegion(client: S3Client, options: S3ClientOptions): Promise<S3Client> {
  try {
    await client.config.region()
    return client
  } catch (error) {
    if (options.endpoint === undefined) throw error
    client.destroy()
    return createS3Client({ ...options, region: 'us-east-1' })
  }
}
