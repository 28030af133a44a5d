/**
 * Scenario 14: scenario 9 like for like. The gateway sends each part with its MD5 (`Content-MD5`, which S3
 * checks) unless told `--s3-disable-content-hashes`; @tus/s3-store sends none. Here the gateway runs with
 * that flag, so both do the same work per part.
 */
import { concurrentShape } from './9-s3-concurrent.js';
import { s3Uploads } from './s3-uploads.js';

export default s3Uploads({
  id: 14,
  short: 'S3 concurrent, no MD5',
  shape: concurrentShape,
  gatewayArgs: ['--s3-disable-content-hashes'],
  note: ' The gateway runs with --s3-disable-content-hashes (no Content-MD5 per part, as the peer).',
});
