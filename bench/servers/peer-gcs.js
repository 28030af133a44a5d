#!/usr/bin/env node
/**
 * The peer on GCS for scenario 11: @tus/server 2.x with @tus/gcs-store, as a
 * user of those packages would deploy it, on node:http, its bucket reached
 * through @google-cloud/storage pointed at `--endpoint` (the GCS fake; no
 * credentials, as with any emulator). @tus/gcs-store keeps an upload as one
 * object `<id>` (its state in the object's custom metadata): the first PATCH
 * writes it through a resumable upload, later ones an `<id>_patch` object
 * composed onto it.
 *
 * Usage: node bench/servers/peer-gcs.js --endpoint <url> --bucket <name>
 *
 * Prints one line to stdout once listening:
 *   peer listening on http://127.0.0.1:<port>/files/
 */
import http from 'node:http';
import { parseArgs } from 'node:util';
import { Storage } from '@google-cloud/storage';
import { GCSStore } from '@tus/gcs-store';
import { Server } from '@tus/server';

const { values } = parseArgs({ options: { endpoint: { type: 'string' }, bucket: { type: 'string' } } });
if (!values.endpoint || !values.bucket) {
  console.error('peer-gcs: --endpoint and --bucket are required');
  process.exit(2);
}

const bucket = new Storage({ apiEndpoint: values.endpoint, projectId: 'bench' }).bucket(values.bucket);
const tus = new Server({ path: '/files', datastore: new GCSStore({ bucket }) });

const server = http.createServer((req, res) => {
  tus.handle(req, res).catch((err) => {
    console.error('peer-gcs: handler error', err);
    try { res.destroy(); } catch {}
  });
});
// No request timeout, so a long PATCH is never cut.
server.requestTimeout = 0;
server.listen(0, '127.0.0.1', () => {
  const { port } = /** @type {import('node:net').AddressInfo} */ (server.address());
  process.stdout.write(`peer listening on http://127.0.0.1:${port}/files/\n`);
});
