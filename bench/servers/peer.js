#!/usr/bin/env node
/**
 * The "peer" contender: @tus/server 2.x with @tus/file-store, as a user of
 * those packages would deploy it, on node:http (default) or on node:http2
 * cleartext (h2c, prior knowledge) with `--h2`.
 *
 * Usage: node bench/servers/peer.js --dir <upload dir> [--h2]
 *
 * Prints one line to stdout once listening:
 *   peer listening on http://127.0.0.1:<port>/files/
 *
 * Note on h2c: @tus/server builds the `Location` header from the `Host`
 * header, which HTTP/2 requests do not carry (they use `:authority`), so it
 * answers `Location: http://null/files/<id>`. The server is left as is; the
 * benchmark client resolves the *path* of every `Location` against the
 * contender's own origin (see bench/lib/tus-client.js).
 */
import http from 'node:http';
import http2 from 'node:http2';
import { parseArgs } from 'node:util';
import { Server } from '@tus/server';
import { FileStore } from '@tus/file-store';

const { values } = parseArgs({
  options: {
    dir: { type: 'string' },
    h2: { type: 'boolean', default: false },
    host: { type: 'string', default: '127.0.0.1' },
  },
});
if (!values.dir) {
  console.error('peer: --dir is required');
  process.exit(2);
}

const tus = new Server({
  path: '/files',
  datastore: new FileStore({ directory: values.dir }),
});

/**
 * @param {any} req  node:http IncomingMessage or node:http2 Http2ServerRequest (srvx reads both)
 * @param {any} res
 */
const onRequest = (req, res) => {
  tus.handle(req, res).catch((err) => {
    console.error('peer: handler error', err);
    try { res.destroy?.(); } catch {}
  });
};

const server = values.h2 ? http2.createServer(onRequest) : http.createServer(onRequest);
if (!values.h2) {
  // Keep-alive defaults are fine; no request timeout so a 1 GiB PATCH is never cut.
  /** @type {import('node:http').Server} */ (server).requestTimeout = 0;
}
server.listen(0, values.host, () => {
  const { port } = /** @type {import('node:net').AddressInfo} */ (server.address());
  process.stdout.write(`peer listening on http://${values.host}:${port}/files/\n`);
});

const stop = () => process.exit(0);
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
