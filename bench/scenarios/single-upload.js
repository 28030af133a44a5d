/**
 * Scenarios 1 and 2: one large upload in a single PATCH with `curl -T`,
 * over HTTP/1.1 (1) or h2c with prior knowledge (2).
 *
 * MiB/s is the size over curl's time_total of the PATCH (creation is not
 * included); CPU-s/GiB is the server's utime+stime across creation and
 * PATCH; peak RSS is the server's VmHWM (a fresh process per run).
 */
import { GiB, MiB, formatBytes } from '../lib/config.js';
import { curlUpload } from '../lib/curl.js';
import { randomFile } from '../lib/data.js';
import { createUpload } from '../lib/tus-client.js';
import { verifyUpload } from '../lib/verify.js';

/** @typedef {import('./types.js').Scenario} Scenario */

/** @type {import('./types.js').Metric[]} */
export const THROUGHPUT_METRICS = [
  { key: 'mibps', label: 'MiB/s', better: 'higher', digits: 0 },
  { key: 'cpuPerGiB', label: 'CPU-s/GiB', better: 'lower', digits: 2 },
  { key: 'peakRssMiB', label: 'peak RSS MiB', better: 'lower', digits: 0 },
];

/**
 * @param {{ id: number, h2: boolean }} opts
 * @returns {Scenario}
 */
export function singleUpload({ id, h2 }) {
  /** @param {import('./types.js').Config} cfg */
  const timeoutMs = (cfg) => 60_000 + (cfg.single.size / MiB) * 200; // floor of 5 MiB/s
  return {
    id,
    short: h2 ? 'single PATCH h2c' : 'single PATCH h1',
    title: (cfg) => `${formatBytes(cfg.single.size)} in one PATCH, ${h2 ? 'h2c' : 'HTTP/1.1'} (curl -T)`,
    columns: ['gateway', 'baseline', 'peer', 'limit', 'net'],
    h2,
    metrics: THROUGHPUT_METRICS,
    prepare: async ({ cfg, ws }) => { await randomFile(ws.dataDir, cfg.single.size); },
    timeoutMs,
    estimateSeconds: (cfg) => 0.6 + cfg.single.size / (400 * MiB) + cfg.single.size / (800 * MiB),
    async run(inst, { cfg, ws }) {
      const size = cfg.single.size;
      const file = await randomFile(ws.dataDir, size);
      const cpu0 = inst.cpu();
      const url = await createUpload(inst, size);
      const { transfers } = await curlUpload({ uploads: [{ url, file: file.path }], h2, timeoutMs: timeoutMs(cfg) });
      const cpu1 = inst.cpu();
      const rss = inst.peakRss();
      const t = transfers[0];
      if (t.sizeUpload !== size) throw new Error(`curl sent ${t.sizeUpload} of ${size} bytes`);
      if (inst.spec.protocol === 'tus' && t.uploadOffset !== size) {
        throw new Error(`PATCH answered Upload-Offset ${t.uploadOffset}, expected ${size}`);
      }
      const verified = await verifyUpload(inst, url, file, { received: t.received });
      const cpu = cpu0 !== null && cpu1 !== null ? cpu1 - cpu0 : null;
      return {
        metrics: {
          mibps: size / MiB / t.seconds,
          cpuPerGiB: cpu === null ? null : cpu / (size / GiB),
          peakRssMiB: rss === null ? null : rss / MiB,
        },
        details: { bytes: size, seconds: t.seconds, cpuSeconds: cpu, peakRssBytes: rss, verified },
      };
    },
  };
}
