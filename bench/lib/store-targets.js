/**
 * The targets of issue 11 (S3): ahead of @tus/s3-store on speed, and a peak RSS under ~150 MiB for one
 * 1 GiB upload and for 8 concurrent uploads of 256 MiB. Judged like the others (targets.js): speed on the
 * median of the per-round ratios, memory on the largest peak of any run.
 */

/**
 * @typedef {import('./targets.js').Target} Target
 * @typedef {import('./interleave.js').ScenarioResult} ScenarioResult
 */

/** @param {number | null} v @param {(x: number) => boolean} ok @param {string} shown @param {string} [context] */
const verdict = (v, ok, shown, context) => ({ value: v, shown: v === null ? 'n/a' : shown, met: v === null ? null : ok(v), context });

/** @param {Map<number, ScenarioResult>} r @param {number} id */
const speedVsPeer = (r, id) => r.get(id)?.ratios.peer?.mibps?.median ?? null;

/** @param {Map<number, ScenarioResult>} r @param {number} id @param {string} column */
const largestPeak = (r, id, column) => r.get(id)?.values[column]?.peakRssMiB?.max ?? null;

/**
 * @param {number} id
 * @param {string} what
 * @returns {Target[]}
 */
function s3Targets(id, what) {
  return [
    {
      id: `s${id}-peer`,
      text: `scenario ${id}: S3, ${what}: gateway >= 1.0x peer (MiB/s)`,
      judge: (r) => {
        const v = speedVsPeer(r, id);
        return verdict(v, (x) => x >= 1.0, `${v?.toFixed(2)}x`);
      },
    },
    {
      id: `s${id}-rss`,
      text: `scenario ${id}: S3, ${what}: gateway peak RSS <= 150 MiB`,
      judge: (r) => {
        const v = largestPeak(r, id, 'gateway');
        const peer = largestPeak(r, id, 'peer');
        return verdict(v, (x) => x <= 150, `${v?.toFixed(0)} MiB`, peer === null ? undefined : `peer: ${peer.toFixed(0)} MiB`);
      },
    },
  ];
}

/** @type {Target[]} */
export const STORE_TARGETS = [
  ...s3Targets(8, 'one upload'),
  ...s3Targets(9, 'concurrent uploads'),
  ...s3Targets(14, 'concurrent uploads, no content hash on either side'),
];
