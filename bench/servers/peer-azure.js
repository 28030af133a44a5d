#!/usr/bin/env node
/**
 * The peer on Azure: @tus/server 2.x with @tus/azure-store 2.x, as a user of
 * those packages would deploy it on node:http. The container is created first
 * (the store does not create it). Credentials from AZURE_STORAGE_CONNECTION_STRING.
 *
 * Usage: node bench/servers/peer-azure.js --container <name>
 *
 * Prints `peer listening on http://127.0.0.1:<port>/files/` once listening.
 * @tus/azure-store keeps an upload as one append blob `<id>` (its state in the
 * blob's metadata) and collects each PATCH body whole in memory before one
 * appendBlock: a PATCH may carry at most Azure's append-block limit (100 MiB).
 */
import http from 'node:http';
import { parseArgs } from 'node:util';
import { BlobServiceClient } from '@azure/storage-blob';
import { AzureStore } from '@tus/azure-store';
import { Server } from '@tus/server';

const { values } = parseArgs({
  options: { container: { type: 'string' }, host: { type: 'string', default: '127.0.0.1' } },
});
const connectionString = process.env.AZURE_STORAGE_CONNECTION_STRING;
if (!values.container || !connectionString) {
  console.error('peer-azure: --container and AZURE_STORAGE_CONNECTION_STRING are required');
  process.exit(2);
}
const client = BlobServiceClient.fromConnectionString(connectionString).getContainerClient(values.container);
await client.createIfNotExists();

const tus = new Server({ path: '/files', datastore: new AzureStore({ client }) });
const server = http.createServer((req, res) => {
  tus.handle(req, res).catch((err) => {
    console.error('peer-azure: handler error', err);
    try { res.destroy(); } catch {}
  });
});
server.requestTimeout = 0;
server.listen(0, values.host, () => {
  const { port } = /** @type {import('node:net').AddressInfo} */ (server.address());
  process.stdout.write(`peer listening on http://${values.host}:${port}/files/\n`);
});

const stop = () => process.exit(0);
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
