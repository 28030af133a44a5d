#!/usr/bin/env node
/**
 * The "limit" contender: the least work any Node upload server can do.
 * Every request body is piped to a file (or, with `--discard`, read and
 * thrown away) and answered `204 No Content`. No protocol, no locking,
 * no metadata: what is left is node:http / node:http2 plus the disk.
 *
 * Usage: node bench/servers/limit.js --dir <dir> [--h2] [--discard] [--fsync]
 *
 * With `--fsync` each file is fsynced before the 204 (a like-for-like
 * limit for a server that syncs uploads to disk). With `--info` a small
 * `<name>.info` (JSON, as tusd's file store writes beside each upload) is
 * written after the body: the least a server keeping tusd's layout does.
 *
 * Naming: a PATCH/PUT to `/<name>` writes `<dir>/<name>`; a POST (as in
 * creation-with-upload) writes `<dir>/<random id>` and answers
 * `Location: /<id>` so the client can find and verify the file.
 * Every answer carries `Bench-Received: <bytes>` (the number of body bytes
 * the server read), which is how discarded bodies are checked.
 *
 * Prints one line to stdout once listening:
 *   limit listening on http://127.0.0.1:<port>/
 */
import fs from 'node:fs';
import http from 'node:http';
import http2 from 'node:http2';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { pipeline } from 'node:stream';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    dir: { type: 'string' },
    h2: { type: 'boolean', default: false },
    discard: { type: 'boolean', default: false },
    fsync: { type: 'boolean', default: false },
    info: { type: 'boolean', default: false },
    host: { type: 'string', default: '127.0.0.1' },
  },
});
if (!values.dir && !values.discard) {
  console.error('limit: --dir is required unless --discard');
  process.exit(2);
}

/**
 * @param {any} res
 * @param {number} status
 * @param {Record<string, string>} headers
 */
function answer(res, status, headers) {
  res.writeHead(status, headers);
  res.end();
}

/** @param {any} req @param {any} res */
function onRequest(req, res) {
  const method = req.method;
  if (method !== 'POST' && method !== 'PATCH' && method !== 'PUT') {
    req.resume();
    answer(res, 405, {});
    return;
  }
  let received = 0;
  req.on('data', (/** @type {Buffer} */ chunk) => { received += chunk.length; });
  const name = method === 'POST' ? randomBytes(16).toString('hex') : path.basename(new URL(req.url, 'http://x').pathname);
  /** @type {Record<string, string>} */
  const extra = method === 'POST' ? { location: `/${name}` } : {};
  if (values.discard) {
    req.on('end', () => answer(res, 204, { 'bench-received': String(received), ...extra }));
    req.on('error', () => res.destroy?.());
    req.resume();
    return;
  }
  if (!name || name === '.' || name === '..') {
    req.resume();
    answer(res, 400, {});
    return;
  }
  const file = path.join(/** @type {string} */ (values.dir), name);
  const fail = () => { try { answer(res, 500, {}); } catch { res.destroy?.(); } };
  const done = () => answer(res, 204, { 'bench-received': String(received), ...extra });
  pipeline(req, fs.createWriteStream(file, { flush: values.fsync }), (err) => {
    if (err) return fail();
    if (!values.info) return done();
    const info = JSON.stringify({ ID: name, Size: received, SizeIsDeferred: false, Offset: received, MetaData: {}, IsPartial: false, IsFinal: false, PartialUploads: null, Storage: { Type: 'filestore', Path: file } });
    fs.writeFile(`${file}.info`, info, { flag: 'wx', flush: values.fsync }, (infoErr) => (infoErr ? fail() : done()));
  });
}

const server = values.h2 ? http2.createServer(onRequest) : http.createServer(onRequest);
if (!values.h2) /** @type {import('node:http').Server} */ (server).requestTimeout = 0;
server.listen(0, values.host, () => {
  const { port } = /** @type {import('node:net').AddressInfo} */ (server.address());
  process.stdout.write(`limit listening on http://${values.host}:${port}/\n`);
});

const stop = () => process.exit(0);
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
