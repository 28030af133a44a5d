import { InvalidArgumentError, Option, type Command } from 'commander'
import type { S3Store } from '../store/s3/s3-store.js'
import { parseBoolean, parseEndpoint, parseSize } from './parse-values.js'

/** The S3 flags (tusd's names where tusd has them), each also `RESUMABLE_GATEWAY_S3_<NAME>`. */
export interface S3CliOptions {
  s3Bucket?: string
  s3Endpoint?: string
  s3ObjectPrefix: string
  s3PartSize: number
  s3MinPartSize: number
  s3EqualPartSizes: boolean
  s3MaxBufferedParts: number
  s3ConcurrentPartUploads: number
  s3DisableContentHashes: boolean
  s3ForcePathStyle?: boolean
  s3RequestChecksums?: 'when-supported' | 'when-required'
  s3PartBuffer: 'disk' | 'memory'
  s3TempDir?: string
}

function option(flags: string, description: string, env: string): Option {
  return new Option(flags, description).env(`RESUMABLE_GATEWAY_${env}`)
}

/** A whole number from 1 to 10,000. */
export function parseCount(value: string): number {
  if (!/^\d{1,5}$/.test(value) || Number(value) < 1 || Number(value) > 10_000) throw new InvalidArgumentError('expected a whole number from 1 to 10000')
  return Number(value)
}

const MiB = 1024 * 1024

/** Adds the S3 flags to `command`. */
export function addS3Options(command: Command): Command {
  return command
    .addOption(option('--s3-bucket <name>', 'store uploads in this S3 bucket (credentials and region from the AWS SDK chain)', 'S3_BUCKET'))
    .addOption(option('--s3-endpoint <url>', 'an S3-compatible endpoint such as http://127.0.0.1:7480 (path-style addressing)', 'S3_ENDPOINT').argParser(parseEndpoint))
    .addOption(option('--s3-object-prefix <prefix>', 'put before every object key, e.g. uploads/', 'S3_OBJECT_PREFIX').default(''))
    .addOption(option('--s3-part-size <bytes>', 'size of the parts uploads are cut into (larger for uploads past 10,000 parts)', 'S3_PART_SIZE').default(50 * MiB, '50MiB').argParser(parseSize))
    .addOption(
      option('--s3-min-part-size <bytes>', 'least size of a part but the last; a shorter end of a request is kept as <id>.part', 'S3_MIN_PART_SIZE')
        .default(5 * MiB, '5MiB')
        .argParser(parseSize),
    )
    .addOption(
      option('--s3-equal-part-sizes [boolean]', 'make every part but the last exactly --s3-part-size (Cloudflare R2 needs it)', 'S3_EQUAL_PART_SIZES')
        .default(false)
        .preset(true)
        .argParser(parseBoolean),
    )
    .addOption(
      option('--s3-max-buffered-parts <number>', 'parts of one upload received but not yet in S3 before its body is read on', 'S3_MAX_BUFFERED_PARTS')
        .default(20)
        .argParser(parseCount),
    )
    .addOption(
      option('--s3-concurrent-part-uploads <number>', 'part uploads to S3 in flight across all uploads', 'S3_CONCURRENT_PART_UPLOADS').default(10).argParser(parseCount),
    )
    .addOption(
      option('--s3-disable-content-hashes [boolean]', 'send parts without their SHA-256 (S3 cannot check them; less CPU)', 'S3_DISABLE_CONTENT_HASHES')
        .default(false)
        .preset(true)
        .argParser(parseBoolean),
    )
    .addOption(
      option('--s3-force-path-style [boolean]', 'address the bucket as <endpoint>/<bucket> (default: with --s3-endpoint)', 'S3_FORCE_PATH_STYLE')
        .preset(true)
        .argParser(parseBoolean),
    )
    .addOption(
      option('--s3-request-checksums <when>', 'when the AWS SDK adds checksums to bodies (default: when-required with --s3-endpoint)', 'S3_REQUEST_CHECKSUMS').choices([
        'when-supported',
        'when-required',
      ]),
    )
    .addOption(option('--s3-part-buffer <where>', 'where parts wait while they upload', 'S3_PART_BUFFER').default('disk').choices(['disk', 'memory']))
    .addOption(option('--s3-temp-dir <dir>', "directory of the parts' temporary files (default: the system's)", 'S3_TEMP_DIR'))
}

/**
 * The S3 store the flags ask for, opened (the bucket checked), or undefined without `--s3-bucket`. `given`
 * holds the flags set on the command line or by their variables (`givenFlags`). Throws an `Error` naming the
 * flag when an S3 flag is given without a bucket (it would be ignored) or part sizes contradict each other,
 * and the store's error when the bucket cannot be used.
 */
export async function s3StoreFromFlags(options: S3CliOptions, given: ReadonlySet<string>): Promise<S3Store | undefined> {
  if (options.s3Bucket === undefined) {
    // Most S3 flags have defaults, so it is where a value came from, not the value, that tells they were given.
    const stray = [...given].find((flag) => flag.startsWith('--s3-'))
    if (stray !== undefined) throw new Error(`${stray} needs --s3-bucket`)
    return undefined
  }
  if (options.s3MinPartSize < 1) throw new Error('--s3-min-part-size must be at least 1 byte')
  if (options.s3PartSize > 5 * 1024 * MiB) throw new Error(`--s3-part-size (${options.s3PartSize}) must not be above 5GiB, the largest part S3 takes`)
  if (options.s3PartSize < options.s3MinPartSize) {
    throw new Error(`--s3-part-size (${options.s3PartSize}) must not be below --s3-min-part-size (${options.s3MinPartSize})`)
  }
  // Loaded only for S3: the AWS SDK costs ~22 MiB of memory.
  const { S3Store } = await import('../store/s3/s3-store.js')
  return S3Store.open({
    bucket: options.s3Bucket,
    ...(options.s3Endpoint === undefined ? {} : { endpoint: options.s3Endpoint }),
    objectPrefix: options.s3ObjectPrefix,
    partSize: options.s3PartSize,
    minPartSize: options.s3MinPartSize,
    equalPartSizes: options.s3EqualPartSizes,
    maxBufferedParts: options.s3MaxBufferedParts,
    concurrentPartUploads: options.s3ConcurrentPartUploads,
    disableContentHashes: options.s3DisableContentHashes,
    ...(options.s3ForcePathStyle === undefined ? {} : { forcePathStyle: options.s3ForcePathStyle }),
    ...(options.s3RequestChecksums === undefined
      ? {}
      : { requestChecksumCalculation: options.s3RequestChecksums === 'when-supported' ? 'WHEN_SUPPORTED' : 'WHEN_REQUIRED' }),
    partBuffer: options.s3PartBuffer,
    ...(options.s3TempDir === undefined ? {} : { temporaryDirectory: options.s3TempDir }),
  })
}
