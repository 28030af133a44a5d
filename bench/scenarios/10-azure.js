/**
 * Scenario 10: Azure Blob Storage, against Azurite (Microsoft's emulator, in
 * memory, on the same machine). tus-js-client uploads a file in 8 MiB chunks
 * (one PATCH each, as scenario 6) to the gateway with its Azure store (tusd's
 * layout: blocks staged as each body streams, committed at the end) and to
 * @tus/server with @tus/azure-store (an append blob; each PATCH body collected
 * whole in memory, then one appendBlock). Chunks, because the peer cannot take
 * a PATCH over Azure's 100 MiB append-block limit.
 *
 * The runner starts its usual contenders; this scenario starts its own, on
 * Azure, beside them (so the runner needs no Azure knowledge), measures those,
 * and removes their container afterwards. MiB/s covers the whole upload,
 * creation included; the bytes are checked by downloading the blob from
 * Azurite. Azurite shares the machine's cores with the server it serves, so
 * the figures compare the two servers, not what Azure would do.
 */
import path from 'node:path';
import { BlobServiceClient } from '@azure/storage-blob';
import { azurite } from '../lib/azurite.js';
import { GiB, MiB, formatBytes } from '../lib/config.js';
import { GATEWAY_MAIN, PROJECT_DIR, start } from '../lib/contenders.js';
import { hashStream, randomFile } from '../lib/data.js';
import { cpuSeconds } from '../lib/proc.js';
import { timedTusJsUpload, uploadResult } from '../lib/tus-js-upload.js';
import { THROUGHPUT_METRICS } from './single-upload.js';

const BENCH_DIR = path.join(PROJECT_DIR, 'bench');

/**
 * The contender of `column` on Azure, in container `container`.
 * @param {'gateway' | 'peer'} column
 * @param {string} container
 * @returns {import('../lib/contenders.js').ContenderSpec}
 */
function azureContender(column, container) {
  const args = column === 'gateway'
    ? [GATEWAY_MAIN, '--host', '127.0.0.1', '--port', '0', '--azure-container', container, '--log-level', 'silent']
    : [path.join(BENCH_DIR, 'servers', 'peer-azure.js'), '--container', container];
  return { column, id: `${column}-azure`, protocol: 'tus', h2: false, stores: false, command: () => ({ cwd: PROJECT_DIR, args }) };
}

/** @type {import('./types.js').Scenario} */
export default {
  id: 10,
  short: 'Azure (Azurite)',
  title: (cfg) => `Azure Blob Storage (Azurite): tus-js-client, ${formatBytes(cfg.azure.size)} in ${formatBytes(cfg.azure.chunkSize)} chunks`,
  columns: ['gateway', 'peer'],
  h2: false,
  note: 'scenario 10: against Azurite on the same cores (limit and net are n/a); the peer is @tus/server with @tus/azure-store',
  metrics: [...THROUGHPUT_METRICS, { key: 'azuriteCpuPerGiB', label: 'Azurite CPU-s/GiB', better: 'lower', digits: 2 }],
  prepare: async ({ cfg, ws }) => {
    await randomFile(ws.dataDir, cfg.azure.size);
    // The contenders' credentials, inherited by every child started from now on.
    process.env.AZURE_STORAGE_CONNECTION_STRING = (await azurite()).connectionString;
  },
  timeoutMs: (cfg) => 60_000 + (cfg.azure.size / MiB) * 500,
  estimateSeconds: (cfg) => 2 + cfg.azure.size / (40 * MiB) + cfg.azure.size / (80 * MiB),
  async run(inst, { cfg, ws }) {
    const { size, chunkSize } = cfg.azure;
    const file = await randomFile(ws.dataDir, size);
    const column = /** @type {'gateway' | 'peer'} */ (inst.spec.column);
    const name = `bench-${path.basename(inst.dir).replace(/[^a-z0-9]+/g, '-')}`.slice(0, 63).replace(/-+$/, '');
    const emulator = await azurite();
    const container = BlobServiceClient.fromConnectionString(emulator.connectionString).getContainerClient(name);
    const server = await start(azureContender(column, name), inst.dir);
    try {
      const azuriteCpu0 = cpuSeconds(emulator.pid);
      const timed = await timedTusJsUpload(server, file, { chunkSize });
      const azuriteCpu1 = cpuSeconds(emulator.pid);
      // Both keep the bytes in the blob named by the upload's id (a block blob, an append blob).
      const id = path.basename(new URL(timed.url).pathname);
      const stored = await hashStream(/** @type {AsyncIterable<Buffer>} */ ((await container.getBlobClient(id).download()).readableStreamBody));
      if (stored.size !== size || stored.sha256 !== file.sha256) throw new Error(`verify ${timed.url}: the blob holds ${stored.size} bytes that differ`);
      const result = uploadResult(size, timed, 'blob');
      const azuriteCpu = azuriteCpu0 !== null && azuriteCpu1 !== null ? azuriteCpu1 - azuriteCpu0 : null;
      return { ...result, metrics: { ...result.metrics, azuriteCpuPerGiB: azuriteCpu === null ? null : azuriteCpu / (size / GiB) } };
    } finally {
      await server.stop();
      await container.deleteIfExists();
    }
  },
};
