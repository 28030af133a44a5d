/**
 * Scenario 6: the real-client view. tus-js-client 4 in Node (in the
 * benchmark's own process) uploads a 256 MiB file in 8 MiB chunks over
 * HTTP/1.1: one POST, then one PATCH per chunk. MiB/s covers the whole
 * upload, creation included. The limit columns are n/a (the client speaks
 * tus only).
 */
import { MiB, formatBytes } from '../lib/config.js';
import { randomFile } from '../lib/data.js';
import { timedTusJsUpload, uploadResult } from '../lib/tus-js-upload.js';
import { verifyUpload } from '../lib/verify.js';
import { THROUGHPUT_METRICS } from './single-upload.js';

/** @type {import('./types.js').Scenario} */
export default {
  id: 6,
  short: 'tus-js-client',
  title: (cfg) => `tus-js-client, ${formatBytes(cfg.client.size)} in ${formatBytes(cfg.client.chunkSize)} chunks`,
  columns: ['gateway', 'baseline', 'peer'],
  h2: false,
  note: 'scenario 6: limit and net are n/a (tus-js-client speaks tus only)',
  metrics: THROUGHPUT_METRICS,
  prepare: async ({ cfg, ws }) => { await randomFile(ws.dataDir, cfg.client.size); },
  timeoutMs: (cfg) => 60_000 + (cfg.client.size / MiB) * 200,
  estimateSeconds: (cfg) => 0.6 + cfg.client.size / (250 * MiB) + cfg.client.size / (800 * MiB),
  async run(inst, { cfg, ws }) {
    const { size, chunkSize } = cfg.client;
    const file = await randomFile(ws.dataDir, size);
    const timed = await timedTusJsUpload(inst, file, { chunkSize });
    return uploadResult(size, timed, await verifyUpload(inst, timed.url, file));
  },
};
