/**
 * Scenario 4: many small uploads (2,000 x 4 KiB), each one request with
 * creation-with-upload (POST carrying the body), 16 at a time over a pool
 * of 16 keep-alive HTTP/1.1 connections (undici).
 *
 * Uploads per second = count over the wall time; latency is per request,
 * from sending to the end of the answer. Every upload has its own random
 * content, checked by sha256 afterwards.
 *
 * The limit servers take the same POST and write (or discard) the body;
 * that is the least any server can do per small upload, tus or not. The
 * limit-info server also writes a small `<id>.info` beside the body: the
 * least a server keeping tusd's file layout (two files per upload) can do.
 */
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { Pool } from 'undici';
import { MiB } from '../lib/config.js';
import { sha256 } from '../lib/data.js';
import { percentile } from '../lib/stats.js';
import { OCTETS, TUS, header, resolveUploadUrl } from '../lib/tus-client.js';
import { verifyMany } from '../lib/verify.js';

/** @type {Buffer | null} random bytes for all bodies, made once per session */
let pool = null;

/** @param {import('./types.js').Config} cfg @param {number} i */
const bodyOf = (cfg, i) => /** @type {Buffer} */ (pool).subarray(i * cfg.small.size, (i + 1) * cfg.small.size);

/** @type {import('./types.js').Scenario} */
export default {
  id: 4,
  short: 'small uploads',
  title: (cfg) => `${cfg.small.count} uploads of ${cfg.small.size / 1024} KiB (creation-with-upload), ${cfg.small.concurrency} at a time`,
  columns: ['gateway', 'baseline', 'peer', 'limit', 'limit-info', 'net'],
  h2: false,
  metrics: [
    { key: 'uploadsPerSec', label: 'uploads/s', better: 'higher', digits: 0 },
    { key: 'p50Ms', label: 'p50 ms', better: 'lower', digits: 2 },
    { key: 'p99Ms', label: 'p99 ms', better: 'lower', digits: 2 },
    { key: 'peakRssMiB', label: 'peak RSS MiB', better: 'lower', digits: 0 },
  ],
  prepare: async ({ cfg }) => { pool ??= randomBytes(cfg.small.count * cfg.small.size); },
  timeoutMs: (cfg) => 60_000 + cfg.small.count * 50,
  estimateSeconds: (cfg) => 0.6 + cfg.small.count / 800,
  async run(inst, { cfg }) {
    const { count, size, concurrency } = cfg.small;
    pool ??= randomBytes(count * size);
    const base = new URL(inst.base);
    const client = new Pool(base.origin, { connections: concurrency, pipelining: 1, headersTimeout: 15_000, bodyTimeout: 15_000 });
    const tus = inst.spec.protocol === 'tus';
    const headers = tus ? { ...TUS, ...OCTETS, 'upload-length': String(size) } : { ...OCTETS };
    /** @type {number[]} */
    const latencies = new Array(count);
    /** @type {Array<{ url: string, expected: { sha256: string, size: number }, received: number | null }>} */
    const items = new Array(count);
    let next = 0;
    const cpu0 = inst.cpu();
    const t0 = performance.now();
    const worker = async () => {
      while (next < count) {
        const i = next++;
        const s = performance.now();
        const res = await client.request({ path: base.pathname, method: 'POST', headers, body: bodyOf(cfg, i) });
        await res.body.dump();
        latencies[i] = performance.now() - s;
        const want = tus ? 201 : 204;
        if (res.statusCode !== want) throw new Error(`upload ${i}: POST answered ${res.statusCode}, expected ${want}`);
        if (tus && Number(header(res.headers, 'upload-offset')) !== size) {
          throw new Error(`upload ${i}: Upload-Offset ${header(res.headers, 'upload-offset')}, expected ${size}`);
        }
        const received = header(res.headers, 'bench-received');
        items[i] = {
          url: resolveUploadUrl(inst.base, header(res.headers, 'location')),
          expected: { sha256: '', size },
          received: received === undefined ? null : Number(received),
        };
      }
    };
    try {
      await Promise.all(Array.from({ length: concurrency }, worker));
    } finally {
      await client.close().catch(() => {});
    }
    const seconds = (performance.now() - t0) / 1000;
    const cpu1 = inst.cpu();
    const rss = inst.peakRss();
    items.forEach((it, i) => { it.expected.sha256 = sha256(bodyOf(cfg, i)); });
    const verified = await verifyMany(inst, items, 16);
    return {
      metrics: {
        uploadsPerSec: count / seconds,
        p50Ms: percentile(latencies, 50),
        p99Ms: percentile(latencies, 99),
        peakRssMiB: rss === null ? null : rss / MiB,
      },
      details: {
        count, seconds, cpuSeconds: cpu0 !== null && cpu1 !== null ? cpu1 - cpu0 : null, peakRssBytes: rss, verified,
        maxMs: Math.max(...latencies),
      },
    };
  },
};
