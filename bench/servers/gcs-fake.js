#!/usr/bin/env node
/**
 * The GCS fake of the tests (test/fakes/gcs: the JSON API in memory, not
 * GCS), in a process of its own for scenario 11, so that what it costs never
 * counts for the server it serves. The fake is TypeScript; bench/lib/gcs.js
 * compiles it once per session and passes the compiled module.
 *
 * Usage: node bench/servers/gcs-fake.js --module <compiled gcs-fake.js> --bucket <name>
 *
 * Prints one line to stdout once listening:
 *   gcs fake listening on http://127.0.0.1:<port>
 */
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { module: { type: 'string' }, bucket: { type: 'string' } } });
if (!values.module || !values.bucket) {
  console.error('gcs-fake: --module and --bucket are required');
  process.exit(2);
}
const { startGcsFake } = await import(pathToFileURL(values.module).href);
const fake = await startGcsFake();
fake.createBucket(values.bucket);
process.stdout.write(`gcs fake listening on ${fake.endpoint}\n`);
