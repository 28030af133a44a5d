/**
 * Scenario 11: Google Cloud Storage, against the tests' GCS fake (the JSON API
 * in memory, test/fakes/gcs, in a process of its own on the same machine).
 * tus-js-client uploads a file in one PATCH to the gateway with its GCS store
 * (`--gcs-bucket --gcs-endpoint`: the body streamed into 8 MiB chunk objects,
 * composed on finish) and to @tus/server with @tus/gcs-store (one resumable
 * upload into a single object).
 *
 * The fake is not GCS: it answers at loopback speed on the same cores, so the
 * figures say what each server itself costs to move the bytes to a GCS API
 * (CPU, memory), nothing about GCS's speed. The runner starts its usual
 * contenders; this scenario starts a fresh fake and its own contenders on it
 * per run (so the runner needs no GCS knowledge), and checks the bytes in the
 * object the server left in the fake. MiB/s covers the whole upload, creation
 * and the gateway's composes included.
 */
import path from 'node:path';
import { request } from 'undici';
import { MiB, formatBytes } from '../lib/config.js';
import { GATEWAY_MAIN, PROJECT_DIR, start } from '../lib/contenders.js';
import { hashStream, randomFile } from '../lib/data.js';
import { compileFake, startFake } from '../lib/gcs.js';
import { timedTusJsUpload, uploadResult } from '../lib/tus-js-upload.js';
import { THROUGHPUT_METRICS } from './single-upload.js';

const BUCKET = 'bench';

/**
 * The contender of `column` on the fake at `endpoint`.
 * @param {'gateway' | 'peer'} column
 * @param {string} endpoint
 * @returns {import('../lib/contenders.js').ContenderSpec}
 */
function gcsContender(column, endpoint) {
  const args = column === 'gateway'
    ? [GATEWAY_MAIN, '--host', '127.0.0.1', '--port', '0', '--gcs-bucket', BUCKET, '--gcs-endpoint', endpoint, '--log-level', 'silent']
    : [path.join(PROJECT_DIR, 'bench', 'servers', 'peer-gcs.js'), '--endpoint', endpoint, '--bucket', BUCKET];
  return { column, id: `${column}-gcs`, protocol: 'tus', h2: false, stores: false, command: () => ({ cwd: PROJECT_DIR, args }) };
}

/**
 * The bytes of object `name` in the fake, hashed as they stream.
 * @param {string} endpoint
 * @param {string} name
 */
async function storedObject(endpoint, name) {
  const res = await request(`${endpoint}/storage/v1/b/${BUCKET}/o/${encodeURIComponent(name)}?alt=media`);
  if (res.statusCode !== 200) {
    await res.body.dump();
    throw new Error(`the fake answered ${res.statusCode} for object ${name}`);
  }
  return hashStream(res.body);
}

/** @type {import('./types.js').Scenario} */
export default {
  id: 11,
  short: 'GCS (fake)',
  title: (cfg) => `Google Cloud Storage (the tests' fake): tus-js-client, ${formatBytes(cfg.gcs.size)} in one PATCH`,
  columns: ['gateway', 'peer'],
  h2: false,
  note: 'scenario 11: against a fake of the GCS JSON API on the same cores; it measures nothing real about GCS, only what each server costs (limit and net are n/a); the peer is @tus/server with @tus/gcs-store',
  metrics: THROUGHPUT_METRICS,
  prepare: async ({ cfg, ws }) => {
    await randomFile(ws.dataDir, cfg.gcs.size);
    await compileFake(path.join(ws.root, 'gcs-fake'));
  },
  timeoutMs: (cfg) => 60_000 + (cfg.gcs.size / MiB) * 500,
  estimateSeconds: (cfg) => 2 + cfg.gcs.size / (60 * MiB),
  async run(inst, { cfg, ws }) {
    const { size } = cfg.gcs;
    const file = await randomFile(ws.dataDir, size);
    const column = /** @type {'gateway' | 'peer'} */ (inst.spec.column);
    const fake = await startFake(await compileFake(path.join(ws.root, 'gcs-fake')), BUCKET);
    try {
      const server = await start(gcsContender(column, fake.endpoint), inst.dir);
      try {
        const timed = await timedTusJsUpload(server, file);
        // Both keep a finished upload as the object named by its id (no prefix).
        const stored = await storedObject(fake.endpoint, path.basename(new URL(timed.url).pathname));
        if (stored.size !== size || stored.sha256 !== file.sha256) throw new Error(`verify ${timed.url}: the object holds ${stored.size} bytes that differ`);
        return uploadResult(size, timed, 'object');
      } finally {
        await server.stop();
      }
    } finally {
      await fake.stop();
    }
  },
};
