/** Scenario 9: concurrent uploads into S3 (8 x 256 MiB; --quick 4 x 32 MiB). */
import { GiB, MiB } from '../lib/config.js';
import { s3Uploads } from './s3-uploads.js';

/**
 * The quick run is the one whose single upload is below 1 GiB (see lib/config.js).
 * @param {import('./types.js').Config} cfg
 */
export const concurrentShape = (cfg) => (cfg.single.size < GiB ? { count: 4, size: 32 * MiB } : { count: 8, size: 256 * MiB });

export default s3Uploads({ id: 9, short: 'S3 concurrent', shape: concurrentShape });
