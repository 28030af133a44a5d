/**
 * One lock-release trial across two gateways (or one, when A and B are the
 * same process): an upload is created on A; a PATCH to A sends its first
 * bytes and stalls with the socket open; after `stallMs` a HEAD on a fresh
 * connection to B asks for the offset. Measured: the time to the HEAD's
 * answer, and the offset it reports (all bytes sent is the honest answer).
 */
import http from 'node:http';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { OCTETS, TUS, createUpload } from './tus-client.js';

/**
 * @typedef {object} TrialResult
 * @property {{ status: number, offset: number | null, ms: number } | null} head   null: no answer within timeoutMs
 */

/**
 * HEAD on a fresh connection; resolves with status, offset and ms, or null after timeoutMs.
 * @param {string} url
 * @param {number} timeoutMs
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
 * @param {import('./contenders.js').Instance} a   where the upload is created and the PATCH stalls
 * @param {import('./contenders.js').Instance} b   where the HEAD goes
 * @param {{ uploadSize: number, stallMs: number, timeoutMs: number }} lock
 * @param {Buffer} chunk   what the PATCH sends before it stalls
 * @returns {Promise<TrialResult>}
 */
export async function releaseTrial(a, b, lock, chunk) {
  const url = await createUpload(a, lock.uploadSize);
  const onB = new URL(new URL(url).pathname, b.base).href;
  const patch = http.request(url, {
    method: 'PATCH',
    agent: false,
    headers: { ...TUS, ...OCTETS, 'upload-offset': '0', 'content-length': String(lock.uploadSize) },
  });
  patch.on('response', (res) => res.resume());
  patch.on('error', () => {});
  try {
    await new Promise((resolve, reject) => patch.write(chunk, (err) => (err ? reject(err) : resolve(undefined))));
    await sleep(lock.stallMs);
    return { head: await timedHead(onB, lock.timeoutMs) };
  } finally {
    patch.destroy();
  }
}
