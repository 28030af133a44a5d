#!/usr/bin/env node
/**
 * The "peer" contender on S3: @tus/server 2.x with @tus/s3-store, as a user of
 * those packages would deploy it against an S3-compatible server, on node:http.
 *
 * Usage: node bench/servers/peer-s3.js --endpoint <url> --bucket <name> [--part-size <bytes>]
 * Credentials and region from the environment (AWS_ACCESS_KEY_ID, ...).
 *
 * Prints one line to stdout once listening:
 *   peer listening on http://127.0.0.1:<port>/files/
 *
 * The client is told `requestChecksumCalculation: 'WHEN_REQUIRED'`, as the
 * gateway does for custom endpoints: with the SDK's default, streamed parts go
 * aws-chunked with a trailing CRC32, which radosgw refuses (411).
 */
import http from 'node:http';
import { parseArgs } from 'node:util';
import { Server } from '@tus/server';
import { S3Store } from '@tus/s3-store';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const { values } = parseArgs({
  options: {
    endpoint: { type: 'string' },
    bucket: { type: 'string' },
    'part-size': { type: 'string', default: String(8 * 1024 * 1024) },
    host: { type: 'string', default: '127.0.0.1' },
  },
});
if (!values.endpoint || !values.bucket) {
  console.error('peer-s3: --endpoint and --bucket are required');
  process.exit(2);
}

const tus = new Server({
  path: '/files',
  datastore: new S3Store({
    partSize: Number(values['part-size']),
    s3ClientConfig: {
      bucket: values.bucket,
      endpoint: values.endpoint,
      forcePathStyle: true,
      region: process.env.AWS_REGION ?? 'us-east-1',
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    },
  }),
});

const server = http.createServer((req, res) => {
  tus.handle(req, res).catch((err) => {
    console.error('peer-s3: handler error', err);
    try { res.destroy?.(); } catch {}
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
