/**
 * A throw-away Ceph radosgw for the S3 scenarios (8, 9, 14): one mon, one memstore
 * OSD and one radosgw on free loopback ports in a temp directory, started once
 * per benchmark session and ended with it. The recipe is the one the tests use
 * (test/servers/ceph-rgw.ts and ceph-conf.ts, which explain every option);
 * this is its plain-JavaScript twin, since the benchmark runs without a
 * TypeScript loader.
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { accessSync, constants, existsSync, mkdirSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { onExit, spawnTracked } from './children.js';

const run = promisify(execFile);
const COMMANDS = ['monmaptool', 'ceph-mon', 'ceph-osd', 'ceph', 'radosgw', 'radosgw-admin'];
const KEYS = { accessKeyId: 'BENCHACCESSKEY000001', secretAccessKey: 'bench-secret-key-for-a-throw-away-radosgw' };

/**
 * @typedef {object} Radosgw
 * @property {string} endpoint        http://127.0.0.1:PORT
 * @property {string} region
 * @property {string} accessKeyId
 * @property {string} secretAccessKey
 * @property {() => Promise<void>} collectGarbage   frees deleted objects now (radosgw's GC waits 2 h otherwise)
 */

/** @type {Promise<Radosgw> | undefined} */
let started;

/** @returns {string | null} why radosgw cannot run here, or null */
export function radosgwProblem() {
  const dirs = (process.env.PATH ?? '').split(path.delimiter);
  const missing = COMMANDS.filter((cmd) => !dirs.some((dir) => {
    try { accessSync(path.join(dir, cmd), constants.X_OK); return true; } catch { return false; }
  }));
  return missing.length === 0 ? null : `${missing.join(', ')} not installed (apt-get install -y --no-install-recommends radosgw ceph-mon ceph-osd)`;
}

/**
 * The session's radosgw, started on first use (~2 s). `memstoreBytes` bounds
 * the data it holds in RAM; the scenarios empty their bucket after each run.
 * @param {{ memstoreBytes: number }} opts
 * @returns {Promise<Radosgw>}
 */
export function radosgw(opts) {
  started ??= startCluster(opts);
  return started;
}

/** @returns {Promise<number>} */
function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = /** @type {net.AddressInfo} */ (server.address());
      server.close(() => resolve(port));
    });
  });
}

/**
 * @param {() => Promise<boolean>} check
 * @param {string} what
 * @param {number} timeoutMs
 */
async function waitUntil(check, what, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`radosgw: timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** @param {{ memstoreBytes: number }} opts */
async function startCluster({ memstoreBytes }) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'rg-bench-rgw-'));
  onExit(() => rmSync(dir, { recursive: true, force: true }));
  for (const sub of ['run', 'log', 'mon', 'rgw', 'crash']) mkdirSync(path.join(dir, sub));
  const monPort = await freePort();
  let rgwPort = await freePort();
  while (rgwPort === monPort) rgwPort = await freePort();
  const fsid = randomUUID();
  const conf = path.join(dir, 'ceph.conf');
  writeFileSync(conf, [
    '[global]',
    `fsid = ${fsid}`, 'ms_bind_msgr2 = false', `mon_host = v1:127.0.0.1:${monPort}`, 'public_addr = 127.0.0.1', 'cluster_addr = 127.0.0.1',
    'auth_cluster_required = none', 'auth_service_required = none', 'auth_client_required = none', 'keyring = /dev/null',
    `run_dir = ${dir}/run`, `admin_socket = ${dir}/run/$name.asok`, `log_file = ${dir}/log/$name.log`, `crash_dir = ${dir}/crash`,
    'osd_pool_default_size = 1', 'osd_pool_default_min_size = 1', 'mon_allow_pool_size_one = true', 'osd_pool_default_pg_num = 1',
    'osd_pool_default_pgp_num = 1', 'osd_pool_default_pg_autoscale_mode = off', 'osd_crush_chooseleaf_type = 0',
    'paxos_propose_interval = 0.01', 'paxos_min_wait = 0.001', 'mon_data_avail_crit = 1',
    '[mon]', `mon_data = ${dir}/mon`,
    '[osd]', `osd_data = ${dir}/osd-$id`, 'osd_objectstore = memstore', `memstore_device_bytes = ${memstoreBytes}`,
    'osd_crush_update_on_start = false', 'osd_class_update_on_start = false',
    '[client.rgw.bench]', `rgw_frontends = beast endpoint=127.0.0.1:${rgwPort} tcp_nodelay=1`, `rgw_data = ${dir}/rgw`,
    '',
  ].join('\n'));
  // setpriv (util-linux) execs the daemon with PR_SET_PDEATHSIG: it dies with the benchmark, however that ends.
  const setpriv = ['/usr/bin/setpriv', '/bin/setpriv'].find((file) => existsSync(file));
  const daemon = (/** @type {string} */ name, /** @type {string[]} */ args) => {
    const log = openSync(path.join(dir, `${name}.out`), 'a');
    const [cmd, argv] = setpriv ? [setpriv, ['--pdeathsig', 'SIGKILL', '--', name, ...args]] : [name, args];
    return spawnTracked(cmd, argv, { cwd: dir, stdio: ['ignore', log, log] });
  };
  const ceph = async (/** @type {string[]} */ ...args) => (await run('ceph', ['-c', conf, '--connect-timeout', '10', ...args], { timeout: 20_000 })).stdout;

  const monmap = path.join(dir, 'monmap');
  await run('monmaptool', ['-c', conf, '--create', '--fsid', fsid, '--addv', 'a', `[v1:127.0.0.1:${monPort}]`, monmap]);
  await run('ceph-mon', ['-c', conf, '-i', 'a', '--mkfs', '--monmap', monmap]);
  daemon('ceph-mon', ['-c', conf, '-i', 'a', '-f']);
  await waitUntil(() => new Promise((resolve) => {
    const socket = net.connect(monPort, '127.0.0.1', () => { socket.destroy(); resolve(true); });
    socket.once('error', () => resolve(false));
  }), 'ceph-mon', 15_000);
  const osdUuid = randomUUID();
  const id = (await ceph('osd', 'new', osdUuid)).trim();
  await ceph('osd', 'crush', 'add', `osd.${id}`, '1.0', 'root=default');
  mkdirSync(path.join(dir, `osd-${id}`));
  await run('ceph-osd', ['-c', conf, '-i', id, '--mkfs', '--osd-uuid', osdUuid]);
  daemon('ceph-osd', ['-c', conf, '-i', id, '-f']);
  await waitUntil(async () => JSON.parse(await ceph('osd', 'stat', '--format', 'json')).num_up_osds === 1, 'the OSD', 30_000);
  daemon('radosgw', ['-c', conf, '-n', 'client.rgw.bench', '-f']);
  const endpoint = `http://127.0.0.1:${rgwPort}`;
  await waitUntil(async () => (await fetch(endpoint)).status > 0, 'radosgw to answer HTTP', 30_000);
  await run('radosgw-admin', ['-c', conf, 'user', 'create', '--uid=bench', '--display-name=bench',
    `--access-key=${KEYS.accessKeyId}`, `--secret-key=${KEYS.secretAccessKey}`]);
  const collectGarbage = async () => { await run('radosgw-admin', ['-c', conf, 'gc', 'process', '--include-all'], { timeout: 120_000 }); };
  return { endpoint, region: 'us-east-1', ...KEYS, collectGarbage };
}
