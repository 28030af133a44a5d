/**
 * Scenario 14: scenario 9 like for like. The gateway signs each part with its SHA-256 (`x-amz-content-sha256`,
 * which S3 checks) unless told `--s3-disable-content-hashes`; @tus/s3-store sends none. Here the gateway runs with
 * that flag, so both do the same work per part.
 */
import { concurrentShape } from './9-s3-concurrent.js';
import { s3Uploads } from './s3-uploads.js';

export default s3Uploads({
  id: 14,
  short: 'S3 concurrent, unhashed',
  shape: concurrentShape,
  gatewayArgs: ['--s3-disable-content-hashes'],
  note: ' The gateway runs with --s3-disable-content-hashes (parts sent unsigned, as the peer sends them).',
});
