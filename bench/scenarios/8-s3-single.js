/** Scenario 8: one large upload into S3 in a single PATCH (1 GiB; --quick 128 MiB). */
import { s3Uploads } from './s3-uploads.js';

export default s3Uploads({ id: 8, short: 'S3 single PATCH', shape: (cfg) => ({ count: 1, size: cfg.single.size }) });
