/**
 * Scenario 12: lock release across gateways. As scenario 5 (a PATCH sends
 * 1 MiB and stalls; 200 ms later a HEAD asks for the offset), but the PATCH
 * goes to gateway A and the HEAD to gateway B: two processes on one upload
 * directory sharing their locks through lock files (`--locker file`) or
 * through Redis (`--locker redis`). The memory locker cannot span processes:
 * its figures are taken with A and B the same process, for comparison.
 * Target: p99 < 250 ms across gateways (issue 13).
 *
 * Every HEAD must report the 1 MiB the PATCH sent (A keeps what arrived):
 * another offset fails the run.
 */
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { MiB } from '../lib/config.js';
import { releaseTrial } from '../lib/release-trial.js';
import { startGateway, startRedis } from '../lib/scale-out.js';
import { percentile } from '../lib/stats.js';

/** @type {Buffer | null} */
let chunk = null;

/**
 * Runs the trials with the PATCH on `a` and the HEAD on `b`; resolves with the HEAD times.
 * @param {import('../lib/contenders.js').Instance} a
 * @param {import('../lib/contenders.js').Instance} b
 * @param {import('./types.js').Config['lock']} lock
 * @param {string} label
 */
async function trials(a, b, lock, label) {
  const sent = /** @type {Buffer} */ (chunk);
  /** @type {number[]} */
  const ms = [];
  for (let i = 0; i < lock.trials; i++) {
    const { head } = await releaseTrial(a, b, lock, sent);
    if (head && (head.status !== 200 || head.offset !== sent.length)) {
      throw new Error(`${label}: HEAD answered ${head.status} with offset ${head.offset}, expected 200 and ${sent.length}`);
    }
    ms.push(head ? head.ms : lock.timeoutMs);
    await sleep(20);
  }
  return ms;
}

/**
 * Two gateways on `dir` sharing a locker (`extra` flags); the trials between them.
 * @param {string} dir
 * @param {string[]} extra
 * @param {import('./types.js').Config['lock']} lock
 * @param {string} label
 */
async function acrossTwo(dir, extra, lock, label) {
  const a = await startGateway(dir, extra, `gateway-${label}-a`);
  try {
    const b = await startGateway(dir, extra, `gateway-${label}-b`);
    try {
      return await trials(a, b, lock, label);
    } finally {
      await b.stop();
    }
  } finally {
    await a.stop();
  }
}

/** @type {import('./types.js').Scenario} */
export default {
  id: 12,
  short: 'release across',
  title: (cfg) => `lock release across gateways: HEAD on B during a stalled PATCH on A (${cfg.lock.trials} trials per locker)`,
  columns: ['gateway'],
  h2: false,
  note: 'scenario 12: memory = A and B one process (the memory locker spans no processes); file and redis = two gateway processes',
  metrics: [
    { key: 'memoryP50', label: 'memory p50 ms', better: 'lower', digits: 1, ratio: false },
    { key: 'memoryP99', label: 'memory p99 ms', better: 'lower', digits: 1, ratio: false },
    { key: 'fileP50', label: 'file p50 ms', better: 'lower', digits: 1, ratio: false },
    { key: 'fileP99', label: 'file p99 ms', better: 'lower', digits: 1, ratio: false },
    { key: 'redisP50', label: 'redis p50 ms', better: 'lower', digits: 1, ratio: false },
    { key: 'redisP99', label: 'redis p99 ms', better: 'lower', digits: 1, ratio: false },
  ],
  prepare: async ({ cfg }) => { chunk ??= randomBytes(cfg.lock.sent); },
  timeoutMs: (cfg) => 60_000 + 3 * cfg.lock.trials * (cfg.lock.timeoutMs + cfg.lock.stallMs + 1000),
  estimateSeconds: (cfg) => 4 + 3 * cfg.lock.trials * (cfg.lock.stallMs / 1000 + 0.08),
  async run(inst, { cfg }) {
    const lock = cfg.lock;
    chunk ??= randomBytes(lock.sent);
    const memory = await trials(inst, inst, lock, 'memory');
    const file = await acrossTwo(inst.dir, ['--locker', 'file'], lock, 'file');
    const redis = await startRedis(inst.dir);
    let viaRedis;
    try {
      viaRedis = await acrossTwo(inst.dir, ['--locker', 'redis', '--redis-url', redis.url], lock, 'redis');
    } finally {
      await redis.stop();
    }
    return {
      metrics: {
        memoryP50: percentile(memory, 50), memoryP99: percentile(memory, 99),
        fileP50: percentile(file, 50), fileP99: percentile(file, 99),
        redisP50: percentile(viaRedis, 50), redisP99: percentile(viaRedis, 99),
      },
      details: { sentBytes: lock.sent, memoryMs: memory, fileMs: file, redisMs: viaRedis, uploadSize: lock.uploadSize, megabytesSent: lock.sent / MiB },
    };
  },
};
