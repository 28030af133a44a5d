/**
 * The contenders, each a child process started on a free loopback port:
 *
 * - gateway: resumable-gateway (dist/cli/main.js) with its file store; one
 *   port speaks HTTP/1.1 and h2c (prior knowledge).
 * - baseline: another build of the gateway (--baseline), same flags.
 * - peer:    @tus/server 2.x + @tus/file-store (bench/servers/peer.js), on
 *   node:http, or on node:http2 h2c in a second flavour.
 * - limit:   bench/servers/limit.js piping bodies to files, answering 204.
 * - limit-info: the same writing a small `<id>.info` beside each body, the
 *   two files per upload of tusd's layout (scenario 4 only).
 * - net:     the same with bodies discarded (the network limit).
 *
 * A fresh process is started for every run, so that VmHWM (peak RSS, which
 * cannot be reset) and CPU time cover exactly one run.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnTracked } from './children.js';
import { cpuSeconds, peakRssBytes } from './proc.js';

const BENCH_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const PROJECT_DIR = path.resolve(BENCH_DIR, '..');
/** The gateway's entry point; BENCH_GATEWAY_MAIN may point at another build. */
export const GATEWAY_MAIN = process.env.BENCH_GATEWAY_MAIN
  ? path.resolve(process.env.BENCH_GATEWAY_MAIN)
  : path.join(PROJECT_DIR, 'dist', 'cli', 'main.js');

const READY_RE = /listening on (http:\/\/\S+)/;
const START_TIMEOUT_MS = 15_000;

/** @typedef {'gateway' | 'baseline' | 'peer' | 'limit' | 'limit-info' | 'net'} Column */

/**
 * @typedef {object} ContenderSpec
 * @property {Column} column
 * @property {string} id            e.g. "peer-h2c"
 * @property {'tus' | 'raw'} protocol   raw = the limit servers (no tus)
 * @property {boolean} h2           the client speaks h2c to it
 * @property {boolean} stores       bodies end up in files under its dir
 * @property {string} [main]        a gateway build's entry point (gateway, baseline)
 * @property {(dir: string) => { args: string[], cwd: string }} command
 */

/**
 * The contender of one column, for HTTP/1.1 or h2c clients.
 * @param {Column} column
 * @param {{ h2: boolean, limitFsync?: boolean, baseline?: string | null }} opts  baseline: its main.js
 * @returns {ContenderSpec}
 */
export function contender(column, { h2, limitFsync = false, baseline = null }) {
  const proto = h2 ? 'h2c' : 'h1';
  switch (column) {
    case 'gateway':
    case 'baseline': {
      const main = column === 'gateway' ? GATEWAY_MAIN : baseline;
      if (!main) throw new Error('the baseline column needs the path of a baseline build');
      return {
        column, id: `${column}-${proto}`, protocol: 'tus', h2, stores: true, main,
        command: (dir) => ({
          cwd: PROJECT_DIR,
          args: [main, '--host', '127.0.0.1', '--port', '0', '--upload-dir', dir, '--log-level', 'silent'],
        }),
      };
    }
    case 'peer':
      return {
        column, id: `peer-${proto}`, protocol: 'tus', h2, stores: true,
        command: (dir) => ({
          cwd: PROJECT_DIR,
          args: [path.join(BENCH_DIR, 'servers', 'peer.js'), '--dir', dir, ...(h2 ? ['--h2'] : [])],
        }),
      };
    case 'limit':
    case 'limit-info':
    case 'net':
      return {
        column,
        id: `${column === 'net' ? 'limit-discard' : column === 'limit-info' ? 'limit-info' : limitFsync ? 'limit-fsync' : 'limit-file'}-${proto}`,
        protocol: 'raw',
        h2,
        stores: column !== 'net',
        command: (dir) => ({
          cwd: PROJECT_DIR,
          args: [
            path.join(BENCH_DIR, 'servers', 'limit.js'), '--dir', dir,
            ...(h2 ? ['--h2'] : []), ...(column === 'net' ? ['--discard'] : []),
            ...(column !== 'net' && limitFsync ? ['--fsync'] : []), ...(column === 'limit-info' ? ['--info'] : []),
          ],
        }),
      };
    default:
      throw new Error(`unknown column ${column}`);
  }
}

/** Raised when a contender cannot run at all (e.g. the gateway is not built). */
export class UnavailableError extends Error {}

/** @type {Map<string, string>} main.js -> why that gateway build cannot run in this session */
const unavailable = new Map();

/**
 * @param {string} main  a gateway build's entry point
 * @returns {string | null} the reason that build is unavailable, or null
 */
export function buildProblem(main) {
  const known = unavailable.get(main);
  if (known) return known;
  if (!existsSync(main)) {
    const rel = path.relative(PROJECT_DIR, main);
    return `${rel.startsWith('..') ? main : rel} not found (run npm run build)`;
  }
  return null;
}

/**
 * @typedef {object} Instance
 * @property {ContenderSpec} spec
 * @property {number} pid
 * @property {string} base          upload endpoint, e.g. http://127.0.0.1:4242/files/
 * @property {string} dir           its upload directory
 * @property {() => number | null} cpu        CPU seconds so far
 * @property {() => number | null} peakRss    VmHWM bytes so far
 * @property {() => string} stderr  the tail of its stderr
 * @property {() => Promise<void>} stop
 */

/**
 * Start a contender on a free port in `dir` and wait until it listens.
 * @param {ContenderSpec} spec
 * @param {string} dir
 * @returns {Promise<Instance>}
 */
export async function start(spec, dir) {
  if (spec.main) {
    const problem = buildProblem(spec.main);
    if (problem) throw new UnavailableError(problem);
  }
  const { args, cwd } = spec.command(dir);
  const child = spawnTracked(process.execPath, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let errTail = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (s) => { errTail = (errTail + s).slice(-4000); });
  child.stdout?.setEncoding('utf8');

  /** @type {string} */
  let base;
  try {
    base = await new Promise((resolve, reject) => {
      let out = '';
      const timer = setTimeout(() => reject(new Error(`did not print its URL within ${START_TIMEOUT_MS} ms`)), START_TIMEOUT_MS);
      /** @param {string} s */
      const onData = (s) => {
        out += s;
        const m = READY_RE.exec(out);
        if (m) {
          clearTimeout(timer);
          child.stdout?.off('data', onData);
          child.stdout?.resume();
          resolve(m[1]);
        }
      };
      child.stdout?.on('data', onData);
      child.once('error', (err) => { clearTimeout(timer); reject(err); });
      child.once('exit', (code, sig) => { clearTimeout(timer); reject(new Error(`exited (${code ?? sig}) before listening`)); });
    });
  } catch (err) {
    await stopChild(child);
    const msg = `${spec.id}: ${/** @type {Error} */ (err).message}${errTail ? `; stderr: ${errTail.trim().slice(-600)}` : ''}`;
    if (spec.main) {
      unavailable.set(spec.main, msg);
      throw new UnavailableError(msg);
    }
    throw new Error(msg);
  }
  const pid = /** @type {number} */ (child.pid);
  return {
    spec, pid, base, dir,
    cpu: () => cpuSeconds(pid),
    peakRss: () => peakRssBytes(pid),
    stderr: () => errTail,
    stop: () => stopChild(child),
  };
}

/**
 * SIGTERM, then SIGKILL after 3 s.
 * @param {import('node:child_process').ChildProcess} child
 */
function stopChild(child) {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => { try { child.kill('SIGKILL'); } catch {} }, 3000);
    child.once('exit', () => { clearTimeout(timer); resolve(undefined); });
    try { child.kill('SIGTERM'); } catch { clearTimeout(timer); resolve(undefined); }
  });
}
