/**
 * Byte-for-byte checks (sha256) of what a contender stored, so that a fast
 * wrong answer cannot win. Runs after the measured phase of a run.
 *
 * - peer and limit: the file `<upload dir>/<id>` (FileStore's layout, and
 *   the limit server's), id = last path segment of the upload URL.
 * - gateway and baseline: the same file if its store uses that layout, else
 *   a GET of the upload URL (finished uploads can be downloaded).
 * - net (body discarded): nothing is stored; the byte count the server
 *   read (its Bench-Received answer header) must equal the upload size.
 */
import path from 'node:path';
import { request } from 'undici';
import { hashFile, hashStream } from './data.js';

/** @typedef {{ sha256: string, size: number }} Expected */

/**
 * @param {import('./contenders.js').Instance} inst
 * @param {string} url        the upload URL
 * @param {Expected} expected
 * @param {{ received?: number | null }} [extra]  Bench-Received, for `net`
 * @returns {Promise<'file' | 'get' | 'count'>} how it was checked
 */
export async function verifyUpload(inst, url, expected, extra = {}) {
  if (!inst.spec.stores) {
    if (extra.received !== expected.size) {
      throw new Error(`verify ${url}: server read ${extra.received ?? '?'} bytes, expected ${expected.size}`);
    }
    return 'count';
  }
  const id = path.basename(new URL(url).pathname);
  let got = await hashFile(path.join(inst.dir, id));
  let how = /** @type {'file' | 'get'} */ ('file');
  if (!got && inst.spec.main) {
    const res = await request(url, { method: 'GET', headers: { 'tus-resumable': '1.0.0' } });
    if (res.statusCode !== 200) {
      await res.body.dump();
      throw new Error(`verify ${url}: GET answered ${res.statusCode}`);
    }
    got = await hashStream(res.body);
    how = 'get';
  }
  if (!got) throw new Error(`verify ${url}: stored file ${id} not found in ${inst.dir}`);
  if (got.size !== expected.size) throw new Error(`verify ${url}: stored ${got.size} bytes, expected ${expected.size}`);
  if (got.sha256 !== expected.sha256) throw new Error(`verify ${url}: sha256 mismatch`);
  return how;
}

/**
 * verifyUpload over many uploads, a few at a time.
 * @param {import('./contenders.js').Instance} inst
 * @param {Array<{ url: string, expected: Expected, received?: number | null }>} items
 * @param {number} [concurrency]
 */
export async function verifyMany(inst, items, concurrency = 8) {
  let next = 0;
  /** @type {Record<string, number>} */
  const how = {};
  const worker = async () => {
    while (next < items.length) {
      const it = items[next++];
      const h = await verifyUpload(inst, it.url, it.expected, { received: it.received });
      how[h] = (how[h] ?? 0) + 1;
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  return how;
}
