/**
 * Scenario 6: the real-client view. tus-js-client 4 in Node (in the
 * benchmark's own process) uploads a 256 MiB file in 8 MiB chunks over
 * HTTP/1.1: one POST, then one PATCH per chunk. MiB/s covers the whole
 * upload, creation included. The limit columns are n/a (the client speaks
 * tus only).
 */
import { createReadStream } from 'node:fs';
import { performance } from 'node:perf_hooks';
import * as tus from 'tus-js-client';
import { GiB, MiB, formatBytes } from '../lib/config.js';
import { randomFile } from '../lib/data.js';
import { verifyUpload } from '../lib/verify.js';

/** @type {import('./types.js').Scenario} */
export default {
  id: 6,
  short: 'tus-js-client',
  title: (cfg) => `tus-js-client, ${formatBytes(cfg.client.size)} in ${formatBytes(cfg.client.chunkSize)} chunks`,
  columns: ['gateway', 'baseline', 'peer'],
  h2: false,
  note: 'scenario 6: limit and net are n/a (tus-js-client speaks tus only)',
  metrics: [
    { key: 'mibps', label: 'MiB/s', better: 'higher', digits: 0 },
    { key: 'cpuPerGiB', label: 'CPU-s/GiB', better: 'lower', digits: 2 },
    { key: 'peakRssMiB', label: 'peak RSS MiB', better: 'lower', digits: 0 },
  ],
  prepare: async ({ cfg, ws }) => { await randomFile(ws.dataDir, cfg.client.size); },
  timeoutMs: (cfg) => 60_000 + (cfg.client.size / MiB) * 200,
  estimateSeconds: (cfg) => 0.6 + cfg.client.size / (250 * MiB) + cfg.client.size / (800 * MiB),
  async run(inst, { cfg, ws }) {
    const { size, chunkSize } = cfg.client;
    const file = await randomFile(ws.dataDir, size);
    const cpu0 = inst.cpu();
    const t0 = performance.now();
    /** @type {string} */
    const url = await new Promise((resolve, reject) => {
      const upload = new tus.Upload(createReadStream(file.path), {
        endpoint: inst.base,
        chunkSize,
        uploadSize: size,
        retryDelays: null,
        metadata: { filename: 'bench.bin' },
        onError: reject,
        onSuccess: () => resolve(/** @type {string} */ (upload.url)),
      });
      upload.start();
    });
    const seconds = (performance.now() - t0) / 1000;
    const cpu1 = inst.cpu();
    const rss = inst.peakRss();
    const verified = await verifyUpload(inst, url, file);
    const cpu = cpu0 !== null && cpu1 !== null ? cpu1 - cpu0 : null;
    return {
      metrics: {
        mibps: size / MiB / seconds,
        cpuPerGiB: cpu === null ? null : cpu / (size / GiB),
        peakRssMiB: rss === null ? null : rss / MiB,
      },
      details: { bytes: size, seconds, cpuSeconds: cpu, peakRssBytes: rss, verified, url },
    };
  },
};
