/**
 * Scenarios 8, 9 and 14: uploads into S3 (the session's radosgw, see
 * lib/s3-bench.js), the gateway with its S3 store against @tus/server with
 * @tus/s3-store, same part size. Each upload is one PATCH with `curl -T` over
 * HTTP/1.1, created before the clock starts; MiB/s is the total over curl's
 * wall time (for one upload, its time_total), which ends with each server's
 * answer, so it includes finishing the multipart upload. CPU-s/GiB and peak RSS
 * are the server process's (radosgw's own work is not counted; it runs on the
 * same 2 cores for both). Afterwards every upload is downloaded (GET) and
 * hashed, and the bucket emptied.
 */
import { request } from 'undici';
import { GiB, MiB, formatBytes } from '../lib/config.js';
import { curlUpload } from '../lib/curl.js';
import { hashStream, randomFile } from '../lib/data.js';
import { emptyBucket, prepareS3, s3Contender, S3_PART_SIZE } from '../lib/s3-bench.js';
import { createUpload } from '../lib/tus-client.js';
import { THROUGHPUT_METRICS } from './single-upload.js';

/**
 * `gatewayArgs`: flags added to the gateway's command line (the peer runs as always).
 * @param {{ id: number, short: string, shape: (cfg: import('./types.js').Config) => { count: number, size: number }, gatewayArgs?: string[], note?: string }} opts
 * @returns {import('./types.js').Scenario}
 */
export function s3Uploads({ id, short, shape, gatewayArgs = [], note = '' }) {
  /** @param {import('./types.js').Config} cfg */
  const total = (cfg) => shape(cfg).count * shape(cfg).size;
  /** @param {import('./types.js').Config} cfg */
  const timeoutMs = (cfg) => 60_000 + (total(cfg) / MiB) * 500; // floor of 2 MiB/s
  return {
    id,
    short,
    title: (cfg) => {
      const { count, size } = shape(cfg);
      const what = count === 1 ? `${formatBytes(size)} in one PATCH` : `${count} concurrent PATCHes of ${formatBytes(size)}`;
      return `S3 (radosgw): ${what}, HTTP/1.1, parts of ${formatBytes(S3_PART_SIZE)}`;
    },
    columns: ['gateway', 'peer'],
    h2: false,
    metrics: THROUGHPUT_METRICS,
    note: `${id}: S3 = a one-node Ceph radosgw 16 (memstore) on the same machine; peer = @tus/server + @tus/s3-store.${note}`,
    contender: (column) => s3Contender(column, gatewayArgs),
    prepare: async ({ cfg, ws }) => {
      // One cluster serves both S3 scenarios: room for the larger (2 GiB), what radosgw keeps besides, and a margin
      // (a full OSD stops taking writes, deletions included).
      await prepareS3({ memstoreBytes: 5 * GiB });
      await randomFile(ws.dataDir, shape(cfg).size);
    },
    timeoutMs,
    estimateSeconds: (cfg) => 2 + total(cfg) / (150 * MiB) + total(cfg) / (400 * MiB),
    async run(inst, { cfg, ws }) {
      const { count, size } = shape(cfg);
      const file = await randomFile(ws.dataDir, size);
      try {
        const cpu0 = inst.cpu();
        const urls = await Promise.all(Array.from({ length: count }, () => createUpload(inst, size)));
        const { wallSeconds, transfers } = await curlUpload({ uploads: urls.map((url) => ({ url, file: file.path })), h2: false, timeoutMs: timeoutMs(cfg) });
        const cpu1 = inst.cpu();
        const rss = inst.peakRss();
        for (const t of transfers) {
          if (t.status !== 204) throw new Error(`PATCH ${t.url} answered ${t.status}`);
          if (t.uploadOffset !== size) throw new Error(`PATCH ${t.url} answered Upload-Offset ${t.uploadOffset}, expected ${size}`);
        }
        for (const t of transfers) {
          const res = await request(t.url, { method: 'GET', headers: { 'tus-resumable': '1.0.0' } });
          if (res.statusCode !== 200) throw new Error(`GET ${t.url} answered ${res.statusCode}`);
          const got = await hashStream(res.body);
          if (got.size !== size || got.sha256 !== file.sha256) throw new Error(`GET ${t.url}: not the bytes sent`);
        }
        const seconds = count === 1 ? transfers[0].seconds : wallSeconds;
        const cpu = cpu0 !== null && cpu1 !== null ? cpu1 - cpu0 : null;
        return {
          metrics: {
            mibps: total(cfg) / MiB / seconds,
            cpuPerGiB: cpu === null ? null : cpu / (total(cfg) / GiB),
            peakRssMiB: rss === null ? null : rss / MiB,
          },
          details: { bytes: total(cfg), seconds, cpuSeconds: cpu, peakRssBytes: rss, verified: 'get' },
        };
      } finally {
        await emptyBucket();
      }
    },
  };
}
