/**
 * What the S3 scenarios (7, 8) share: the session's radosgw and one bucket on
 * it, the two contenders configured for it, and the clean-up after each run.
 *
 * - gateway: dist/cli/main.js with `--s3-bucket` on the radosgw, its part
 *   files in the run's directory, each run under its own object prefix.
 * - peer:    @tus/server 2.x with @tus/s3-store (bench/servers/peer-s3.js).
 *
 * Both cut uploads into parts of the same size (50 MiB, the gateway's and
 * tusd's default; @tus/s3-store's own is 8 MiB) and send bodies without
 * aws-chunked framing (radosgw refuses it).
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CreateBucketCommand, DeleteObjectCommand, ListMultipartUploadsCommand, ListObjectsV2Command, AbortMultipartUploadCommand, S3Client } from '@aws-sdk/client-s3';
import { GATEWAY_MAIN, PROJECT_DIR } from './contenders.js';
import { MiB } from './config.js';
import { radosgw, radosgwProblem } from './radosgw.js';

const BENCH_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const S3_BUCKET = 'bench';
export const S3_PART_SIZE = 50 * MiB;

/** @type {{ gw: import('./radosgw.js').Radosgw, client: S3Client } | undefined} */
let session;

/**
 * Starts the radosgw (once), creates the bucket, and puts the keys in this
 * process's environment, which the contenders inherit (the SDK's chain reads
 * them there). Throws with the reason when radosgw cannot run here.
 * @param {{ memstoreBytes: number }} opts
 */
export async function prepareS3(opts) {
  if (session) return session.gw;
  const problem = radosgwProblem();
  if (problem) throw new Error(problem);
  const gw = await radosgw(opts);
  process.env.AWS_ACCESS_KEY_ID = gw.accessKeyId;
  process.env.AWS_SECRET_ACCESS_KEY = gw.secretAccessKey;
  process.env.AWS_REGION = gw.region;
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  const client = new S3Client({
    endpoint: gw.endpoint, region: gw.region, forcePathStyle: true,
    credentials: { accessKeyId: gw.accessKeyId, secretAccessKey: gw.secretAccessKey },
    requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED',
  });
  await client.send(new CreateBucketCommand({ Bucket: S3_BUCKET }));
  session = { gw, client };
  return gw;
}

/**
 * The contender of `column` on S3 (a ContenderSpec, see contenders.js).
 * @param {import('./contenders.js').Column} column
 * @returns {import('./contenders.js').ContenderSpec}
 */
export function s3Contender(column, gatewayArgs = []) {
  if (!session) throw new Error('prepareS3 first');
  const { endpoint } = session.gw;
  switch (column) {
    case 'gateway':
      return {
        column, id: 'gateway-s3', protocol: 'tus', h2: false, stores: true,
        command: (dir) => ({
          cwd: PROJECT_DIR,
          args: [GATEWAY_MAIN, '--host', '127.0.0.1', '--port', '0', '--log-level', 'silent',
            '--s3-bucket', S3_BUCKET, '--s3-endpoint', endpoint, '--s3-object-prefix', path.basename(dir),
            '--s3-part-size', String(S3_PART_SIZE), '--s3-temp-dir', dir, ...gatewayArgs],
        }),
      };
    case 'peer':
      return {
        column, id: 'peer-s3', protocol: 'tus', h2: false, stores: true,
        command: () => ({
          cwd: PROJECT_DIR,
          args: [path.join(BENCH_DIR, 'servers', 'peer-s3.js'), '--endpoint', endpoint, '--bucket', S3_BUCKET, '--part-size', String(S3_PART_SIZE)],
        }),
      };
    default:
      throw new Error(`no S3 contender for column ${column}`);
  }
}

/**
 * Removes every object and multipart upload of the bucket, and has radosgw free their data at once
 * (memstore keeps it in RAM, and radosgw's garbage collector would wait two hours). Not timed.
 */
export async function emptyBucket() {
  if (!session) return;
  const { client } = session;
  for (;;) {
    const page = await client.send(new ListObjectsV2Command({ Bucket: S3_BUCKET }));
    await Promise.all((page.Contents ?? []).map((o) => client.send(new DeleteObjectCommand({ Bucket: S3_BUCKET, Key: o.Key }))));
    if (!page.IsTruncated) break;
  }
  const uploads = await client.send(new ListMultipartUploadsCommand({ Bucket: S3_BUCKET }));
  await Promise.all((uploads.Uploads ?? []).map((u) => client.send(new AbortMultipartUploadCommand({ Bucket: S3_BUCKET, Key: u.Key, UploadId: u.UploadId }))));
  await session.gw.collectGarbage();
}
