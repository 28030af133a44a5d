/**
 * Small order statistics. Values that are not finite numbers are ignored.
 */

/** @param {Array<number | null | undefined>} xs */
function clean(xs) {
  return /** @type {number[]} */ (xs.filter((x) => typeof x === 'number' && Number.isFinite(x))).sort((a, b) => a - b);
}

/**
 * Percentile with linear interpolation between closest ranks (p in 0..100).
 * @param {Array<number | null | undefined>} xs
 * @param {number} p
 * @returns {number | null}
 */
export function percentile(xs, p) {
  const s = clean(xs);
  if (s.length === 0) return null;
  const rank = (p / 100) * (s.length - 1);
  const lo = Math.floor(rank);
  const hi = Math.ceil(rank);
  return s[lo] + (s[hi] - s[lo]) * (rank - lo);
}

/** @param {Array<number | null | undefined>} xs */
export const median = (xs) => percentile(xs, 50);

/**
 * @typedef {{ median: number, min: number, max: number, n: number }} Summary
 */

/**
 * Median and range of a sample, or null when it is empty.
 * @param {Array<number | null | undefined>} xs
 * @returns {Summary | null}
 */
export function summarize(xs) {
  const s = clean(xs);
  if (s.length === 0) return null;
  return { median: /** @type {number} */ (median(s)), min: s[0], max: s[s.length - 1], n: s.length };
}
