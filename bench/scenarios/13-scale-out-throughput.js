/**
 * Scenario 13: scale-out throughput. 32 concurrent uploads of 32 MiB (as in
 * scenario 3: one curl process, one HTTP/1.1 connection each) through nginx
 * (round-robin, bodies streamed) to 1 gateway, then to 3 gateways, all on
 * one upload directory with their locks in one Redis (`--locker redis`),
 * in one run. Aggregate MiB/s for each and the ratio 3 / 1.
 * Target (issue 13): 3 gateways not slower than 1.
 *
 * On one machine the gateways share its cores and its disk: the ratio says
 * what spreading costs or gains here, not what more machines would give.
 * Every upload is checked byte for byte (its file in the shared directory).
 */
import path from 'node:path';
import { hashFile, randomFile } from '../lib/data.js';
import { MiB, formatBytes } from '../lib/config.js';
import { curlUpload } from '../lib/curl.js';
import { startGateway, startNginx, startRedis } from '../lib/scale-out.js';
import { createUpload } from '../lib/tus-client.js';

/** @param {import('./types.js').Config} cfg */
const timeoutMs = (cfg) => 60_000 + ((cfg.concurrent.count * cfg.concurrent.size) / MiB) * 200;

/**
 * `count` gateways behind nginx on a fresh directory; the uploads through nginx; MiB/s.
 * @param {string} dir
 * @param {number} count
 * @param {string} redisUrl
 * @param {import('./types.js').Config} cfg
 * @param {import('../lib/data.js').DataFile} file
 */
async function throughput(dir, count, redisUrl, cfg, file) {
  const gateways = [];
  let nginx = null;
  try {
    for (let i = 0; i < count; i++) gateways.push(await startGateway(dir, ['--locker', 'redis', '--redis-url', redisUrl, '--behind-proxy'], `gateway-${count}x-${i}`));
    nginx = await startNginx(`${dir}-lb`, gateways.map((g) => new URL(g.base).host));
    const lb = /** @type {{ url: string }} */ (nginx);
    /** @type {import('../lib/contenders.js').Instance} */
    const viaNginx = { ...gateways[0], base: lb.url };
    const { size } = cfg.concurrent;
    const urls = await Promise.all(Array.from({ length: cfg.concurrent.count }, () => createUpload(viaNginx, size)));
    const { wallSeconds, transfers } = await curlUpload({ uploads: urls.map((url) => ({ url, file: file.path })), h2: false, timeoutMs: timeoutMs(cfg) });
    for (const t of transfers) {
      if (t.uploadOffset !== size) throw new Error(`${count} gateway(s): PATCH ${t.url} answered ${t.status}, Upload-Offset ${t.uploadOffset}, expected ${size}`);
      const stored = await hashFile(path.join(dir, path.basename(new URL(t.url).pathname)));
      if (!stored || stored.sha256 !== file.sha256 || stored.size !== size) throw new Error(`${count} gateway(s): ${t.url} stored differs from what was sent`);
    }
    return (cfg.concurrent.count * size) / MiB / wallSeconds;
  } finally {
    await nginx?.stop();
    for (const g of gateways) await g.stop();
  }
}

/** @type {import('./types.js').Scenario} */
export default {
  id: 13,
  short: 'scale-out',
  title: (cfg) => `${cfg.concurrent.count} concurrent uploads of ${formatBytes(cfg.concurrent.size)} through nginx: 1 gateway vs 3 (Redis locker, one directory)`,
  columns: ['gateway'],
  h2: false,
  note: 'scenario 13: the gateway column is 1 and 3 gateway processes behind nginx on this machine, locks in Redis',
  metrics: [
    { key: 'oneMiBs', label: '1 gateway MiB/s', better: 'higher', digits: 0, ratio: false },
    { key: 'threeMiBs', label: '3 gateways MiB/s', better: 'higher', digits: 0, ratio: false },
    { key: 'threeVsOne', label: '3 / 1', better: 'higher', digits: 2, ratio: false },
  ],
  prepare: async ({ cfg, ws }) => { await randomFile(ws.dataDir, cfg.concurrent.size); },
  timeoutMs: (cfg) => 30_000 + 2 * timeoutMs(cfg),
  estimateSeconds: (cfg) => 6 + (2 * cfg.concurrent.count * cfg.concurrent.size) / (300 * MiB),
  async run(inst, { cfg, ws }) {
    const file = await randomFile(ws.dataDir, cfg.concurrent.size);
    const redis = await startRedis(inst.dir);
    try {
      const one = await throughput(path.join(inst.dir, 'one'), 1, redis.url, cfg, file);
      const three = await throughput(path.join(inst.dir, 'three'), 3, redis.url, cfg, file);
      return { metrics: { oneMiBs: one, threeMiBs: three, threeVsOne: three / one }, details: { oneMiBs: one, threeMiBs: three } };
    } finally {
      await redis.stop();
    }
  },
};
