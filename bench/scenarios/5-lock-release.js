/**
 * Scenario 5: lock release. An upload is created; a PATCH sends its first
 * 1 MiB and then stalls with the socket open; ~200 ms later a HEAD on a
 * second connection asks for the offset. Measured: the time to the HEAD's
 * answer, and the offset it reports (1 MiB is the honest answer). Every
 * trial is bounded (10 s); a HEAD that never answers is recorded as a
 * timeout and counted at the bound in the percentiles.
 *
 * Only tus servers take part: the limit columns are n/a. No upload is
 * complete here, so instead of a whole-file sha256 the stored prefix is
 * compared byte for byte with what was sent, where the file can be read.
 */
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { MiB } from '../lib/config.js';
import { median, percentile } from '../lib/stats.js';
import { OCTETS, TUS, createUpload } from '../lib/tus-client.js';

/**
 * HEAD on a fresh connection; resolves with status, offset and ms, or
 * with null after timeoutMs.
 * @param {string} url
 * @param {number} timeoutMs
 * @returns {Promise<{ status: number, offset: number | null, ms: number } | null>}
 */
function timedHead(url, timeoutMs) {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const req = http.request(url, { method: 'HEAD', agent: false, headers: { ...TUS } });
    const timer = setTimeout(() => { req.destroy(); resolve(null); }, timeoutMs);
    req.on('response', (res) => {
      const ms = performance.now() - t0;
      clearTimeout(timer);
      res.resume();
      const off = res.headers['upload-offset'];
      resolve({ status: res.statusCode ?? 0, offset: off === undefined ? null : Number(off), ms });
    });
    req.on('error', () => { clearTimeout(timer); resolve(null); });
    req.end();
  });
}

/**
 * One trial: stalled PATCH, then a timed HEAD.
 * @param {import('../lib/contenders.js').Instance} inst
 * @param {import('./types.js').Config['lock']} lock
 * @param {Buffer} chunk
 */
async function trial(inst, lock, chunk) {
  const url = await createUpload(inst, lock.uploadSize);
  const patch = http.request(url, {
    method: 'PATCH',
    agent: false,
    headers: { ...TUS, ...OCTETS, 'upload-offset': '0', 'content-length': String(lock.uploadSize) },
  });
  /** @type {number | null} */
  let patchStatus = null;
  patch.on('response', (res) => { patchStatus = res.statusCode ?? null; res.resume(); });
  patch.on('error', () => {});
  try {
    await new Promise((resolve, reject) => patch.write(chunk, (err) => (err ? reject(err) : resolve(undefined))));
    await sleep(lock.stallMs);
    const answeredBeforeHead = patchStatus;
    const head = await timedHead(url, lock.timeoutMs);
    return { url, head, patchStatusBeforeHead: answeredBeforeHead };
  } finally {
    patch.destroy();
  }
}

/**
 * Compare the stored prefix with what was sent, if the file is readable.
 * @param {import('../lib/contenders.js').Instance} inst
 * @param {string} url
 * @param {Buffer} chunk
 * @returns {Promise<'match' | 'unreadable'>}
 */
async function checkPrefix(inst, url, chunk) {
  let stored;
  try {
    stored = await readFile(path.join(inst.dir, path.basename(new URL(url).pathname)));
  } catch {
    return 'unreadable';
  }
  if (stored.length > chunk.length || !stored.equals(chunk.subarray(0, stored.length))) {
    throw new Error(`lock trial ${url}: stored ${stored.length} bytes that differ from the ${chunk.length} sent`);
  }
  return 'match';
}

/** @type {Buffer | null} */
let chunk = null;

/** @type {import('./types.js').Scenario} */
export default {
  id: 5,
  short: 'lock release',
  title: (cfg) => `lock release: HEAD during a stalled PATCH (${cfg.lock.trials} trials)`,
  columns: ['gateway', 'baseline', 'peer'],
  h2: false,
  note: 'scenario 5: limit and net are n/a (a lock exists only in a tus server)',
  metrics: [
    { key: 'p50Ms', label: 'HEAD p50 ms', better: 'lower', digits: 1 },
    { key: 'p99Ms', label: 'HEAD p99 ms', better: 'lower', digits: 1 },
    { key: 'offsetMiB', label: 'HEAD offset MiB', better: 'higher', digits: 2, ratio: false },
    { key: 'timeouts', label: 'HEAD timeouts', better: 'lower', digits: 0, ratio: false },
  ],
  prepare: async ({ cfg }) => { chunk ??= randomBytes(cfg.lock.sent); },
  timeoutMs: (cfg) => 30_000 + cfg.lock.trials * (cfg.lock.timeoutMs + cfg.lock.stallMs + 1000),
  estimateSeconds: (cfg, column) => 0.6 + cfg.lock.trials * (cfg.lock.stallMs / 1000 + (column === 'peer' ? 3.1 : 0.05)),
  async run(inst, { cfg }) {
    const lock = cfg.lock;
    chunk ??= randomBytes(lock.sent);
    const trials = [];
    for (let i = 0; i < lock.trials; i++) {
      trials.push(await trial(inst, lock, chunk));
      await sleep(20);
    }
    const rss = inst.peakRss();
    /** @type {Record<string, number>} */
    const prefix = {};
    for (const t of trials) {
      const r = await checkPrefix(inst, t.url, chunk);
      prefix[r] = (prefix[r] ?? 0) + 1;
    }
    const ms = trials.map((t) => (t.head ? t.head.ms : lock.timeoutMs));
    const offsets = trials.map((t) => t.head?.offset ?? null);
    return {
      metrics: {
        p50Ms: percentile(ms, 50),
        p99Ms: percentile(ms, 99),
        offsetMiB: offsets.some((o) => o !== null) ? /** @type {number} */ (median(offsets)) / MiB : null,
        timeouts: trials.filter((t) => !t.head).length,
      },
      details: {
        peakRssBytes: rss,
        prefixCheck: prefix,
        trials: trials.map((t) => ({
          ms: t.head?.ms ?? null, status: t.head?.status ?? null, offset: t.head?.offset ?? null,
          patchStatusBeforeHead: t.patchStatusBeforeHead,
        })),
      },
    };
  },
};
