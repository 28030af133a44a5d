/**
 * Scenario 7: hostile. HTTP/2 rapid reset (CVE-2023-44487) against ONE
 * upload, as in issue 10: four attacking clients send HEADERS (a HEAD of
 * the upload) and RST_STREAM(CANCEL) in batches of 100, reconnecting
 * whenever a connection ends (scripts/rapid-reset.mjs, in a process of its
 * own, so at most one core: two clients reset each stream in the packet
 * that opened it, two reset a batch with the next one, so that its requests
 * reach the server's handlers first). Meanwhile a well-behaved client sends an
 * OPTIONS every 100 ms (whether the last was answered or not), each on a
 * fresh h2c connection (the peer speaks h2c only here), and the server's
 * peak RSS is read at the end (the attack is over by then; the answers of
 * the last OPTIONS may still come).
 *
 * Figures: peak RSS; OPTIONS p50 / p99 over the attack (an OPTIONS not
 * answered within the bound counts at the bound, and is counted); the
 * streams the attack sent (how hard it pushed: a server that reads fewer
 * bytes slows its attackers down). A server that dies shows as such:
 * every later OPTIONS fails. limit and net are n/a (no tus, no lock).
 */
import { spawn } from 'node:child_process';
import http2 from 'node:http2';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { PROJECT_DIR } from '../lib/contenders.js';
import { MiB } from '../lib/config.js';
import { percentile } from '../lib/stats.js';
import { createUpload } from '../lib/tus-client.js';

const ATTACK = path.join(PROJECT_DIR, 'scripts', 'rapid-reset.mjs');

/**
 * @typedef {{ streams: number, connections: number, goaways: Record<string, number>, errors: number }} AttackReport
 */

/**
 * The attacking process, four clients; resolves with its report.
 * @param {string} url @param {number} seconds
 * @returns {Promise<AttackReport>}
 */
function attack(url, seconds) {
  const child = spawn(process.execPath, [ATTACK, url, '--clients', '4', '--seconds', String(seconds), '--reset', 'both'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (s) => { out += s; });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`the attack exited with ${code}`))));
  });
}

/**
 * OPTIONS on a fresh h2c connection; resolves with ms, or null when it
 * fails or takes longer than `boundMs`.
 * @param {string} base @param {number} boundMs
 * @returns {Promise<number | null>}
 */
function timedOptions(base, boundMs) {
  const t0 = performance.now();
  return new Promise((resolve) => {
    const session = http2.connect(new URL(base).origin);
    const done = (/** @type {number | null} */ ms) => { clearTimeout(timer); session.destroy(); resolve(ms); };
    const timer = setTimeout(() => done(null), boundMs);
    session.on('error', () => done(null));
    const stream = session.request({ ':method': 'OPTIONS', ':path': new URL(base).pathname }, { endStream: true });
    stream.on('error', () => done(null));
    stream.on('response', (h) => { if (Number(h[':status']) >= 400) done(null); });
    stream.on('end', () => done(performance.now() - t0));
    stream.resume();
  });
}

/** @type {import('./types.js').Scenario} */
export default {
  id: 7,
  short: 'hostile',
  title: (cfg) => `hostile: HTTP/2 rapid reset on one upload, 4 clients for ${cfg.hostile.seconds} s; OPTIONS every 100 ms`,
  // The baseline column (another gateway build) runs where the harness has one.
  columns: ['gateway', 'baseline', 'peer'],
  h2: true,
  note: 'scenario 7: limit and net are n/a (no tus, no lock); an OPTIONS not answered within its bound (10 s) counts at the bound',
  metrics: [
    { key: 'peakRssMiB', label: 'peak RSS MiB', better: 'lower', digits: 0 },
    { key: 'optionsP50Ms', label: 'OPTIONS p50 ms', better: 'lower', digits: 0 },
    { key: 'optionsP99Ms', label: 'OPTIONS p99 ms', better: 'lower', digits: 0 },
    { key: 'optionsFailed', label: 'OPTIONS failed', better: 'lower', digits: 0, ratio: false },
    { key: 'attackKStreams', label: 'attack k streams', better: 'lower', digits: 0, ratio: false },
  ],
  timeoutMs: (cfg) => (cfg.hostile.seconds + 60) * 1000,
  estimateSeconds: (cfg) => cfg.hostile.seconds + 2,
  async run(inst, { cfg }) {
    const { seconds, optionsBoundMs } = cfg.hostile;
    const url = await createUpload(inst, 1000);
    const attacks = attack(url, seconds);
    let over = false;
    void attacks.finally(() => { over = true; });
    // One OPTIONS every 100 ms whether or not the last was answered: waiting for each would sample a
    // server that stalls for seconds only when it answers (few, fast samples).
    /** @type {Array<Promise<number | null>>} */
    const pending = [];
    while (!over) {
      pending.push(timedOptions(inst.base, optionsBoundMs));
      await sleep(100);
    }
    const report = await attacks;
    const probes = await Promise.all(pending);
    const rss = inst.peakRss();
    const ms = probes.map((p) => p ?? optionsBoundMs);
    return {
      metrics: {
        peakRssMiB: rss === null ? null : rss / MiB,
        optionsP50Ms: percentile(ms, 50),
        optionsP99Ms: percentile(ms, 99),
        optionsFailed: probes.filter((p) => p === null).length,
        attackKStreams: report.streams / 1000,
      },
      details: { probes: probes.length, attack: report, optionsMs: probes },
    };
  },
};
