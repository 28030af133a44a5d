/**
 * Upload data: random bytes written once per size, with their sha256, and
 * the hashing used to check what the servers stored.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import path from 'node:path';
import { finished } from 'node:stream/promises';

/** @typedef {{ path: string, size: number, sha256: string }} DataFile */

/** @type {Map<string, Promise<DataFile>>} */
const cache = new Map();

/**
 * A file of `size` random bytes in `dir`, generated on first use and
 * streamed (never held in memory).
 * @param {string} dir
 * @param {number} size
 * @returns {Promise<DataFile>}
 */
export function randomFile(dir, size) {
  const key = `${dir}:${size}`;
  let p = cache.get(key);
  if (!p) {
    p = writeRandomFile(path.join(dir, `random-${size}.bin`), size);
    cache.set(key, p);
  }
  return p;
}

/**
 * @param {string} file
 * @param {number} size
 * @returns {Promise<DataFile>}
 */
async function writeRandomFile(file, size) {
  const out = createWriteStream(file);
  const hash = createHash('sha256');
  let left = size;
  while (left > 0) {
    const n = Math.min(left, 1024 * 1024);
    // A fresh buffer per write: the stream may still hold the previous one.
    const buf = randomBytes(n);
    hash.update(buf);
    left -= n;
    if (!out.write(buf)) await new Promise((resolve) => out.once('drain', () => resolve(undefined)));
  }
  out.end();
  await finished(out);
  return { path: file, size, sha256: hash.digest('hex') };
}

/** @param {Buffer | Uint8Array} buf */
export function sha256(buf) {
  return createHash('sha256').update(buf).digest('hex');
}

/**
 * sha256 and length of a file, or null if it does not exist.
 * @param {string} file
 * @returns {Promise<{ sha256: string, size: number } | null>}
 */
export async function hashFile(file) {
  const hash = createHash('sha256');
  let size = 0;
  try {
    for await (const chunk of createReadStream(file, { highWaterMark: 1024 * 1024 })) {
      hash.update(chunk);
      size += chunk.length;
    }
  } catch (err) {
    if (/** @type {any} */ (err).code === 'ENOENT') return null;
    throw err;
  }
  return { sha256: hash.digest('hex'), size };
}

/**
 * sha256 and length of a stream (e.g. a GET response body).
 * @param {AsyncIterable<Buffer | Uint8Array>} stream
 */
export async function hashStream(stream) {
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of stream) {
    hash.update(chunk);
    size += chunk.length;
  }
  return { sha256: hash.digest('hex'), size };
}
