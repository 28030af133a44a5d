import { Command, Option } from 'commander'
import { LOG_LEVELS, type LogFormat, type LogLevel } from '../observe/logger.js'
import {
  parseBasePath,
  parseBoolean,
  parseCount,
  parseDemo,
  parseDuration,
  parseEndpoint,
  parseGcsObjectPrefix,
  parseHeaderNames,
  parseKeyPrefix,
  parseLease,
  parseOrigins,
  parsePort,
  parsePositiveDuration,
  parseRedisUrl,
  parseSize,
  parseUpstreamUrl,
} from './parse-values.js'
import { parseAccessTier, parseContainerAccessType, parseContainerName, type AzureFlags } from './azure-flags.js'
import { hookOptions, type HookCliOptions } from './hook-options.js'
import { addS3Options, type S3CliOptions } from './s3-options.js'

/** The lockers `--locker` can name. */
export const LOCKERS = ['memory', 'file', 'redis'] as const
export type LockerKind = (typeof LOCKERS)[number]

/** Every flag, each also settable through `RESUMABLE_GATEWAY_<NAME>` (e.g. RESUMABLE_GATEWAY_PORT). */
export interface CliOptions extends HookCliOptions, S3CliOptions, AzureFlags {
  host: string
  port: number
  basePath: string
  uploadDir: string
  fsync: boolean
  maxSize: number
  maxPartialUploads: number
  maxFinalSize: number
  behindProxy: boolean
  networkTimeout: number
  acquireLockTimeout: number
  shutdownTimeout: number
  corsAllowOrigin: '*' | string[]
  corsAllowHeaders: string[]
  expireAfter: number
  expireFinishedAfter: number
  experimentalProtocol: boolean
  minSize: number
  maxAppendSize: number
  minAppendSize: number
  progressInterval: number
  /** Undefined: derived from the open-file limit. */
  maxConnections?: number
  /** Undefined: half of --max-connections, off with --behind-proxy. */
  maxConnectionsPerIp?: number
  minBodyRate: number
  logLevel: LogLevel
  logFormat: LogFormat
  tlsCert?: string
  tlsKey?: string
  tlsMinVersion: 'TLSv1.2' | 'TLSv1.3'
  upstream?: string
  upstreamTimeout: number
  upstreamRetries: number
  upstreamMaxDeliveries: number
  /** The demo page's path, or false when it is off. */
  demo: string | false
  locker: LockerKind
  redisUrl?: string
  redisKeyPrefix: string
  redisLockLease: number
  /** Store uploads in this GCS bucket instead of `uploadDir` (tusd's `-gcs-bucket`). */
  gcsBucket?: string
  gcsObjectPrefix?: string
  gcsEndpoint?: string
}

/**
 * The long names (`--s3-part-size`) of the flags given on the command line or through their variables, in the
 * order of `--help`; a flag left at its default is not among them. For flags that only mean something beside
 * another one, whose defaults make them look given.
 */
export function givenFlags(command: Command): ReadonlySet<string> {
  const given = command.options.filter((flag) => {
    const source = command.getOptionValueSource(flag.attributeName())
    return source === 'cli' || source === 'env'
  })
  return new Set(given.map((flag) => flag.long ?? flag.flags))
}

function option(flags: string, description: string, env: string): Option {
  return new Option(flags, description).env(`RESUMABLE_GATEWAY_${env}`)
}

/** The command line definition; `parse` exits non-zero with a message naming a bad flag. */
export function buildCommand(version: string): Command {
  const command = new Command('resumable-gateway')
    .description('A resumable-upload server speaking tus 1.0.0 on one endpoint, over HTTP/1.1 and HTTP/2.')
    .version(version)
    .addOption(option('--host <address>', 'address to listen on', 'HOST').default('0.0.0.0'))
    .addOption(option('--port <number>', 'port to listen on (0 picks a free port)', 'PORT').default(1080).argParser(parsePort))
    .addOption(option('--base-path <path>', 'URL path of the upload collection', 'BASE_PATH').default('/files/').argParser(parseBasePath))
    .addOption(option('--upload-dir <dir>', 'directory of the file store (created if missing)', 'UPLOAD_DIR').default('./data'))
    .addOption(
      option('--fsync [boolean]', 'flush uploaded bytes and state to the disk before answering, so they survive a power loss (slower)', 'FSYNC')
        .default(false)
        .preset(true)
        .argParser(parseBoolean),
    )
    .addOption(option('--max-size <bytes>', 'largest upload accepted, e.g. 2GiB (0 = unlimited)', 'MAX_SIZE').default(0).argParser(parseSize))
    .addOption(
      option('--max-partial-uploads <count>', 'most partial uploads one final upload (tus concatenation) may name, repeats counted', 'MAX_PARTIAL_UPLOADS')
        .default(128)
        .argParser(parseCount(1, 1_000_000)),
    )
    .addOption(
      option('--max-final-size <bytes>', 'largest final upload of a concatenation when --max-size is 0 (it never exceeds --max-size)', 'MAX_FINAL_SIZE')
        .default(64 * 1024 ** 3, '64GiB')
        .argParser(parseSize),
    )
    .addOption(
      // An optional value, so that the environment variable can say false too (`RESUMABLE_GATEWAY_BEHIND_PROXY=false`).
      option('--behind-proxy [boolean]', 'trust Forwarded / X-Forwarded-Host / X-Forwarded-Proto for Location URLs', 'BEHIND_PROXY')
        .default(false)
        .preset(true)
        .argParser(parseBoolean),
    )
    .addOption(
      option('--network-timeout <duration>', 'stop a request body that sends nothing this long, keeping its bytes, and an answer the client takes nothing of', 'NETWORK_TIMEOUT')
        .default(60_000, '60s')
        .argParser(parseDuration),
    )
    .addOption(
      // 0 would not mean "no wait" but "refuse at once", after the holder was already asked to release: both requests would lose.
      option('--acquire-lock-timeout <duration>', 'how long a request waits for an upload another request holds (above 0)', 'ACQUIRE_LOCK_TIMEOUT')
        .default(20_000, '20s')
        .argParser(parsePositiveDuration),
    )
    .addOption(
      option('--shutdown-timeout <duration>', 'how long SIGINT/SIGTERM lets in-flight uploads save their data', 'SHUTDOWN_TIMEOUT')
        .default(10_000, '10s')
        .argParser(parseDuration),
    )
    .addOption(
      option('--cors-allow-origin <origins>', '* or a comma-separated list of origins allowed by CORS', 'CORS_ALLOW_ORIGIN')
        .default('*')
        .argParser(parseOrigins),
    )
    .addOption(
      option('--cors-allow-headers <headers>', 'extra request headers browsers may send, comma-separated (e.g. X-CSRF-Token)', 'CORS_ALLOW_HEADERS')
        .default([], 'none')
        .argParser(parseHeaderNames),
    )
    .addOption(
      option('--expire-after <duration>', 'remove an unfinished upload this long after its last write (0 = never)', 'EXPIRE_AFTER')
        .default(0, 'off')
        .argParser(parseDuration),
    )
    .addOption(
      option('--expire-finished-after <duration>', 'remove a finished upload this long after its last write (0 = never)', 'EXPIRE_FINISHED_AFTER')
        .default(0, 'off')
        .argParser(parseDuration),
    )
    .addOption(
      option('--experimental-protocol [boolean]', 'also speak the IETF draft "Resumable Uploads for HTTP" (interop versions 3-10)', 'EXPERIMENTAL_PROTOCOL')
        .default(false)
        .preset(true)
        .argParser(parseBoolean),
    )
    .addOption(
      option('--min-size <bytes>', 'draft min-size: smaller uploads are not offered resumption (0 = none)', 'MIN_SIZE').default(0).argParser(parseSize),
    )
    .addOption(
      option('--max-append-size <bytes>', 'draft max-append-size: most content per draft append (0 = unlimited)', 'MAX_APPEND_SIZE')
        .default(0)
        .argParser(parseSize),
    )
    .addOption(
      option('--min-append-size <bytes>', 'draft min-append-size: least content per draft append that does not complete (0 = none)', 'MIN_APPEND_SIZE')
        .default(0)
        .argParser(parseSize),
    )
    .addOption(
      option('--progress-interval <duration>', 'send a draft client a progress 104 this often while its content streams (0 = never)', 'PROGRESS_INTERVAL')
        .default(1000, '1s')
        .argParser(parseDuration),
    )
    .addOption(
      option(
        '--max-connections <count>',
        'most connections open at once; more get 503 at once (default: half the open-file limit less a reserve, 16 to 10000; 0 = no limit)',
        'MAX_CONNECTIONS',
      ).argParser(parseCount(0, 999_999_999)),
    )
    .addOption(
      option(
        '--max-connections-per-ip <count>',
        'most connections open at once from one address (default: half of --max-connections, off with --behind-proxy; 0 = no limit)',
        'MAX_CONNECTIONS_PER_IP',
      ).argParser(parseCount(0, 999_999_999)),
    )
    .addOption(
      option('--min-body-rate <bytes/s>', 'stop a request body that averages less than this over 20 s, keeping its bytes, e.g. 1KiB (0 = off)', 'MIN_BODY_RATE')
        .default(0, 'off')
        .argParser(parseSize),
    )
    .addOption(option('--log-level <level>', 'log level', 'LOG_LEVEL').default('info').choices(LOG_LEVELS))
    .addOption(option('--log-format <format>', 'log format on stderr', 'LOG_FORMAT').default('json').choices(['json', 'pretty']))
    .addOption(option('--tls-cert <file>', 'PEM certificate: serve TLS (h2 and http/1.1 by ALPN) on the same port', 'TLS_CERT'))
    .addOption(option('--tls-key <file>', 'PEM private key for --tls-cert', 'TLS_KEY'))
    .addOption(
      option('--tls-min-version <version>', 'oldest TLS version accepted', 'TLS_MIN_VERSION').default('TLSv1.2').choices(['TLSv1.2', 'TLSv1.3']),
    )
    .addOption(
      option('--upstream <url>', 'upstream mode: the application behind the gateway; resumable uploads to any other path are delivered to it', 'UPSTREAM').argParser(
        parseUpstreamUrl,
      ),
    )
    .addOption(
      option('--upstream-timeout <duration>', 'upstream mode: how long the application may stay silent (then 504)', 'UPSTREAM_TIMEOUT')
        .default(60_000, '60s')
        .argParser(parseDuration),
    )
    .addOption(
      option('--upstream-retries <count>', 'upstream mode: retries of a delivery the application refused with a 5xx or could not take', 'UPSTREAM_RETRIES')
        .default(2)
        .argParser(parseCount(0, 10)),
    )
    .addOption(
      option('--upstream-max-deliveries <count>', 'upstream mode: deliveries to the application under way at once', 'UPSTREAM_MAX_DELIVERIES')
        .default(8)
        .argParser(parseCount(1, 10_000)),
    )
    .addOption(
      option('--demo [path]', 'serve the demo page (Uppy and tus-js-client) at /demo/ or at the path given', 'DEMO')
        .default(false, 'off')
        .preset(true)
        .argParser(parseDemo),
    )
    .addOption(
      option(
        '--locker <kind>',
        'upload locks: memory (one process), file (processes sharing --upload-dir on one host), redis (gateways on many hosts, with --redis-url)',
        'LOCKER',
      )
        .default('memory')
        .choices(LOCKERS),
    )
    .addOption(option('--redis-url <url>', 'Redis of the redis locker, e.g. redis://127.0.0.1:6379 (rediss:// for TLS)', 'REDIS_URL').argParser(parseRedisUrl))
    .addOption(
      option('--redis-key-prefix <prefix>', 'prefix of the redis locker\'s keys and channels', 'REDIS_KEY_PREFIX')
        .default('resumable-gateway:')
        .argParser(parseKeyPrefix),
    )
    .addOption(
      option('--redis-lock-lease <duration>', 'how long a lock lives in Redis without renewal (renewed every third; also how long a crashed gateway\'s locks last)', 'REDIS_LOCK_LEASE')
        .default(10_000, '10s')
        .argParser(parseLease),
    )
    .addOption(option('--azure-container <name>', 'store uploads in this Azure Blob Storage container (created if missing)', 'AZURE_CONTAINER').argParser(parseContainerName))
    .addOption(option('--azure-storage <name>', "the same, under tusd's name for it", 'AZURE_STORAGE').argParser(parseContainerName))
    .addOption(
      option('--azure-container-access-type <type>', 'public access of a container created at start-up: blob, container or private', 'AZURE_CONTAINER_ACCESS_TYPE')
        .argParser(parseContainerAccessType),
    )
    .addOption(option('--azure-blob-access-tier <tier>', 'access tier of finished uploads: hot, cool, cold or archive', 'AZURE_BLOB_ACCESS_TIER').argParser(parseAccessTier))
    .addOption(option('--azure-object-prefix <prefix>', 'prefix of the blob names (a / is added)', 'AZURE_OBJECT_PREFIX'))
    .addOption(
      option('--azure-endpoint <url>', 'blob endpoint (default https://<AZURE_STORAGE_ACCOUNT>.blob.core.windows.net; Azurite: http://127.0.0.1:10000/devstoreaccount1)', 'AZURE_ENDPOINT')
        .argParser(parseEndpoint),
    )
    .addOption(option('--gcs-bucket <name>', 'store uploads in this Google Cloud Storage bucket, in tusd\'s gcsstore layout (credentials: GCS_SERVICE_ACCOUNT_FILE, else Application Default Credentials)', 'GCS_BUCKET'))
    .addOption(option('--gcs-object-prefix <prefix>', 'put GCS objects under this prefix, e.g. uploads (no "_")', 'GCS_OBJECT_PREFIX').argParser(parseGcsObjectPrefix))
    .addOption(option('--gcs-endpoint <url>', 'the GCS JSON API endpoint, e.g. an emulator\'s http://127.0.0.1:4443 (default: GCS itself)', 'GCS_ENDPOINT').argParser(parseEndpoint))
  for (const hookOption of hookOptions()) command.addOption(hookOption)
  return addS3Options(command).showHelpAfterError('(run resumable-gateway --help for every flag)')
}
