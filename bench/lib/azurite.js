/**
 * Azurite (the npm devDependency) for the Azure scenario: one blob service on
 * a free loopback port, data in memory, started once per benchmark session and
 * ended with the other children. Its well-known development account is public
 * (the same in every Azurite), not a secret.
 */
import http from 'node:http';
import net from 'node:net';
import { createRequire } from 'node:module';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { spawnTracked } from './children.js';

const ACCOUNT = 'devstoreaccount1';
const KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

/** @type {Promise<{ connectionString: string, pid: number }> | undefined} */
let running;

/**
 * The session's Azurite, started on first use, and its process id (scenario 10 reports its CPU).
 * @returns {Promise<{ connectionString: string, pid: number }>}
 */
export function azurite() {
  running ??= start();
  return running;
}

async function start() {
  const main = path.join(path.dirname(createRequire(import.meta.url).resolve('azurite/package.json')), 'dist', 'src', 'blob', 'main.js');
  const port = await freePort();
  const child = spawnTracked(process.execPath, [
    main, '--blobHost', '127.0.0.1', '--blobPort', String(port), '--inMemoryPersistence',
    '--silent', '--skipApiVersionCheck', '--disableTelemetry',
  ], { stdio: 'ignore' });
  const endpoint = `http://127.0.0.1:${port}/${ACCOUNT}`;
  for (let waited = 0; !(await answers(`${endpoint}?comp=list`)); waited += 100) {
    if (child.exitCode !== null) throw new Error(`azurite exited (${child.exitCode}) before answering`);
    if (waited > 30_000) throw new Error('azurite did not answer within 30 s');
    await sleep(100);
  }
  return { connectionString: `DefaultEndpointsProtocol=http;AccountName=${ACCOUNT};AccountKey=${KEY};BlobEndpoint=${endpoint};`, pid: /** @type {number} */ (child.pid) };
}

/** @returns {Promise<number>} */
function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = /** @type {net.AddressInfo} */ (server.address());
      server.close(() => resolve(port));
    });
    server.once('error', reject);
  });
}

/** @param {string} url */
function answers(url) {
  return new Promise((resolve) => {
    http.get(url, (res) => { res.resume(); resolve(true); }).once('error', () => resolve(false));
  });
}
