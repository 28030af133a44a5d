/**
 * Scenario 3: many concurrent uploads (32 x 32 MiB), each a single PATCH,
 * all sent by one curl process in parallel (`-Z`, one HTTP/1.1 connection
 * each). Aggregate MiB/s is the total over the curl process's wall time;
 * the uploads are created (tus) before the clock starts.
 */
import { GiB, MiB, formatBytes } from '../lib/config.js';
import { curlUpload } from '../lib/curl.js';
import { randomFile } from '../lib/data.js';
import { createUpload } from '../lib/tus-client.js';
import { verifyMany } from '../lib/verify.js';
import { THROUGHPUT_METRICS } from './single-upload.js';

/** @param {import('./types.js').Config} cfg */
const timeoutMs = (cfg) => 60_000 + ((cfg.concurrent.count * cfg.concurrent.size) / MiB) * 200;

/** @type {import('./types.js').Scenario} */
export default {
  id: 3,
  short: 'concurrent',
  title: (cfg) => `${cfg.concurrent.count} concurrent uploads of ${formatBytes(cfg.concurrent.size)}, HTTP/1.1`,
  columns: ['gateway', 'baseline', 'peer', 'limit', 'net'],
  h2: false,
  metrics: THROUGHPUT_METRICS,
  prepare: async ({ cfg, ws }) => { await randomFile(ws.dataDir, cfg.concurrent.size); },
  timeoutMs,
  estimateSeconds: (cfg) => {
    const total = cfg.concurrent.count * cfg.concurrent.size;
    return 0.6 + total / (400 * MiB) + total / (800 * MiB);
  },
  async run(inst, { cfg, ws }) {
    const { count, size } = cfg.concurrent;
    const file = await randomFile(ws.dataDir, size);
    const cpu0 = inst.cpu();
    const urls = await Promise.all(Array.from({ length: count }, () => createUpload(inst, size)));
    const { wallSeconds, transfers } = await curlUpload({
      uploads: urls.map((url) => ({ url, file: file.path })),
      h2: false,
      timeoutMs: timeoutMs(cfg),
    });
    const cpu1 = inst.cpu();
    const rss = inst.peakRss();
    for (const t of transfers) {
      if (t.sizeUpload !== size) throw new Error(`curl sent ${t.sizeUpload} of ${size} bytes to ${t.url}`);
      if (inst.spec.protocol === 'tus' && t.uploadOffset !== size) {
        throw new Error(`PATCH ${t.url} answered Upload-Offset ${t.uploadOffset}, expected ${size}`);
      }
    }
    const verified = await verifyMany(inst, transfers.map((t) => ({ url: t.url, expected: file, received: t.received })));
    const total = count * size;
    const cpu = cpu0 !== null && cpu1 !== null ? cpu1 - cpu0 : null;
    return {
      metrics: {
        mibps: total / MiB / wallSeconds,
        cpuPerGiB: cpu === null ? null : cpu / (total / GiB),
        peakRssMiB: rss === null ? null : rss / MiB,
      },
      details: {
        bytes: total, seconds: wallSeconds, cpuSeconds: cpu, peakRssBytes: rss, verified,
        slowestTransferSeconds: Math.max(...transfers.map((t) => t.seconds)),
      },
    };
  },
};
