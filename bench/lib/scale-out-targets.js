/**
 * The targets of issue 13 (scale-out), judged like the others (targets.js):
 * on the median over the runs of each run's figure.
 */

/**
 * @typedef {import('./targets.js').Target} Target
 * @typedef {import('./interleave.js').ScenarioResult} ScenarioResult
 */

/**
 * @param {Map<number, ScenarioResult>} r @param {number} id @param {string} metric
 * @returns {number | null}
 */
const median = (r, id, metric) => r.get(id)?.values.gateway?.[metric]?.median ?? null;

/** @param {number | null} v @param {(x: number) => boolean} ok @param {string} shown @param {string} [context] */
const verdict = (v, ok, shown, context) => ({ value: v, shown: v === null ? 'n/a' : shown, met: v === null ? null : ok(v), context });

/** @type {Target[]} */
export const SCALE_OUT_TARGETS = [
  {
    id: 's12-redis-p99',
    text: 'scenario 12: lock release across gateways, Redis locker, p99 < 250 ms',
    judge: (r) => {
      const v = median(r, 12, 'redisP99');
      const m = median(r, 12, 'memoryP99');
      return verdict(v, (x) => x < 250, `${v?.toFixed(1)} ms`, m === null ? undefined : `memory, one process: ${m.toFixed(1)} ms`);
    },
  },
  {
    id: 's12-file-p99',
    text: 'scenario 12: lock release across gateways, file locker, p99 < 100 ms',
    judge: (r) => {
      const v = median(r, 12, 'fileP99');
      return verdict(v, (x) => x < 100, `${v?.toFixed(1)} ms`);
    },
  },
  {
    id: 's13-scale',
    text: 'scenario 13: 3 gateways behind nginx not slower than 1 (MiB/s, 3 / 1 >= 0.95)',
    judge: (r) => {
      const v = median(r, 13, 'threeVsOne');
      return verdict(v, (x) => x >= 0.95, `${v?.toFixed(2)}x`);
    },
  },
];
