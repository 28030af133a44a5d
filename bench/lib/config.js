/**
 * Sizes and counts of every scenario, for the full run and for --quick.
 */

export const KiB = 1024;
export const MiB = 1024 * KiB;
export const GiB = 1024 * MiB;

/**
 * @typedef {object} Config
 * @property {number} rounds
 * @property {{ size: number }} single            scenarios 1 and 2
 * @property {{ count: number, size: number }} concurrent   scenario 3
 * @property {{ count: number, size: number, concurrency: number }} small   scenario 4
 * @property {{ trials: number, uploadSize: number, sent: number, stallMs: number, timeoutMs: number }} lock  scenario 5
 * @property {{ size: number, chunkSize: number }} client   scenario 6
 * @property {{ seconds: number, optionsBoundMs: number }} hostile   scenario 7
 * @property {{ size: number, chunkSize: number }} azure    scenario 10
 * @property {{ size: number }} gcs      scenario 11
 */

/** @type {Config} */
const FULL = {
  rounds: 3,
  single: { size: 1 * GiB },
  concurrent: { count: 32, size: 32 * MiB },
  small: { count: 2000, size: 4 * KiB, concurrency: 16 },
  lock: { trials: 20, uploadSize: 10 * MiB, sent: 1 * MiB, stallMs: 200, timeoutMs: 10_000 },
  client: { size: 256 * MiB, chunkSize: 8 * MiB },
  hostile: { seconds: 20, optionsBoundMs: 10_000 },
  azure: { size: 256 * MiB, chunkSize: 8 * MiB },
  gcs: { size: 256 * MiB },
};

/** @type {Config} */
const QUICK = {
  rounds: 1,
  single: { size: 128 * MiB },
  concurrent: { count: 8, size: 8 * MiB },
  small: { count: 200, size: 4 * KiB, concurrency: 16 },
  lock: { trials: 5, uploadSize: 10 * MiB, sent: 1 * MiB, stallMs: 200, timeoutMs: 10_000 },
  client: { size: 32 * MiB, chunkSize: 8 * MiB },
  hostile: { seconds: 8, optionsBoundMs: 10_000 },
  azure: { size: 32 * MiB, chunkSize: 8 * MiB },
  gcs: { size: 64 * MiB },
};

/**
 * @param {{ quick: boolean, rounds: number | null }} opts
 * @returns {Config}
 */
export function makeConfig(opts) {
  const base = structuredClone(opts.quick ? QUICK : FULL);
  if (opts.rounds) base.rounds = opts.rounds;
  return base;
}

/** @param {number} bytes */
export function formatBytes(bytes) {
  if (bytes >= GiB && bytes % GiB === 0) return `${bytes / GiB} GiB`;
  if (bytes >= MiB) return `${+(bytes / MiB).toFixed(1)} MiB`;
  return `${+(bytes / KiB).toFixed(1)} KiB`;
}
