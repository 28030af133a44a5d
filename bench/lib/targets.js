/**
 * The issue's targets. They are shown next to the table, never asserted:
 * the benchmark exits 0 whether they are met or missed.
 *
 * Ratio targets are judged on the median of the per-round ratios (the
 * figure in the table); peak-RSS targets on the largest peak of any run;
 * the lock-release target on the median of the runs' p99. A target whose
 * scenario did not run (or whose gateway runs failed) is "n/a".
 */
import { SCALE_OUT_TARGETS } from './scale-out-targets.js';
import { STORE_TARGETS } from './store-targets.js';

/**
 * @typedef {import('./interleave.js').ScenarioResult} ScenarioResult
 * @typedef {{ value: number | null, shown: string, met: boolean | null, context?: string }} Verdict
 * @typedef {{ id: string, text: string, chart?: { scenario: number, vs: 'peer' | 'limit', metric: string, at: number }, judge: (r: Map<number, ScenarioResult>) => Verdict }} Target
 */

/** @param {number | null | undefined} v @param {number} d */
const fmt = (v, d) => (v === null || v === undefined ? 'n/a' : v.toFixed(d));

/**
 * @param {Map<number, ScenarioResult>} r @param {number} id @param {'peer' | 'limit' | 'limit-info'} vs @param {string} metric
 */
const ratio = (r, id, vs, metric) => r.get(id)?.ratios[vs]?.[metric]?.median ?? null;
/**
 * @param {Map<number, ScenarioResult>} r @param {number} id @param {string} col @param {string} metric
 */
const value = (r, id, col, metric) => r.get(id)?.values[col]?.[metric] ?? null;

/**
 * @param {number | null} v
 * @param {(v: number) => boolean} ok
 * @param {string} shown
 * @param {string} [context]
 * @returns {Verdict}
 */
const verdict = (v, ok, shown, context) => ({ value: v, shown: v === null ? 'n/a' : shown, met: v === null ? null : ok(v), context });

/** @type {Target[]} */
export const TARGETS = [
  {
    id: 's1-peer',
    text: 'scenario 1: gateway >= 1.2x peer (MiB/s)',
    chart: { scenario: 1, vs: 'peer', metric: 'mibps', at: 1.2 },
    judge: (r) => { const v = ratio(r, 1, 'peer', 'mibps'); return verdict(v, (x) => x >= 1.2, `${fmt(v, 2)}x`); },
  },
  {
    id: 's1-limit',
    text: 'scenario 1: gateway >= 0.9x limit (MiB/s)',
    chart: { scenario: 1, vs: 'limit', metric: 'mibps', at: 0.9 },
    judge: (r) => { const v = ratio(r, 1, 'limit', 'mibps'); return verdict(v, (x) => x >= 0.9, `${fmt(v, 2)}x`); },
  },
  {
    id: 'h2c-vs-h1',
    text: 'gateway h2c >= 0.8x HTTP/1.1 (scenario 2 / scenario 1, MiB/s medians)',
    judge: (r) => {
      const h2 = value(r, 2, 'gateway', 'mibps')?.median;
      const h1 = value(r, 1, 'gateway', 'mibps')?.median;
      const v = h2 && h1 ? h2 / h1 : null;
      const peer2 = value(r, 2, 'peer', 'mibps')?.median;
      const peer1 = value(r, 1, 'peer', 'mibps')?.median;
      const ctx = peer2 && peer1 ? `peer: ${(peer2 / peer1).toFixed(2)}x` : undefined;
      return verdict(v, (x) => x >= 0.8, `${fmt(v, 2)}x`, ctx);
    },
  },
  {
    id: 's1-rss',
    text: 'scenario 1: gateway peak RSS <= 100 MiB',
    judge: (r) => {
      const v = value(r, 1, 'gateway', 'peakRssMiB')?.max ?? null;
      const p = value(r, 1, 'peer', 'peakRssMiB')?.max;
      return verdict(v, (x) => x <= 100, `${fmt(v, 0)} MiB`, p ? `peer: ${p.toFixed(0)} MiB` : undefined);
    },
  },
  {
    id: 's3-rss',
    text: 'scenario 3: gateway peak RSS <= 200 MiB',
    judge: (r) => {
      const v = value(r, 3, 'gateway', 'peakRssMiB')?.max ?? null;
      const p = value(r, 3, 'peer', 'peakRssMiB')?.max;
      return verdict(v, (x) => x <= 200, `${fmt(v, 0)} MiB`, p ? `peer: ${p.toFixed(0)} MiB` : undefined);
    },
  },
  {
    id: 's4-peer',
    text: 'scenario 4: gateway >= 1.5x peer (uploads/s)',
    chart: { scenario: 4, vs: 'peer', metric: 'uploadsPerSec', at: 1.5 },
    judge: (r) => { const v = ratio(r, 4, 'peer', 'uploadsPerSec'); return verdict(v, (x) => x >= 1.5, `${fmt(v, 2)}x`); },
  },
  {
    id: 's4-limit',
    text: 'scenario 4: gateway >= 0.7x limit (uploads/s)',
    chart: { scenario: 4, vs: 'limit', metric: 'uploadsPerSec', at: 0.7 },
    judge: (r) => {
      const v = ratio(r, 4, 'limit', 'uploadsPerSec');
      // The limit writes one file per upload; tusd's layout, which the gateway keeps, needs two.
      const twoFiles = ratio(r, 4, 'limit-info', 'uploadsPerSec');
      return verdict(v, (x) => x >= 0.7, `${fmt(v, 2)}x`, twoFiles === null ? undefined : `vs limit-info, two files per upload as in tusd's layout: ${fmt(twoFiles, 2)}x`);
    },
  },
  {
    id: 's5-p99',
    text: 'scenario 5: lock release p99 < 100 ms',
    judge: (r) => {
      const v = value(r, 5, 'gateway', 'p99Ms')?.median ?? null;
      const p = value(r, 5, 'peer', 'p99Ms')?.median;
      return verdict(v, (x) => x < 100, `${fmt(v, 1)} ms`, p ? `peer: ${p.toFixed(0)} ms` : undefined);
    },
  },
  {
    id: 's7-rss',
    text: 'scenario 7: gateway peak RSS < 300 MiB under rapid reset',
    judge: (r) => {
      const v = value(r, 7, 'gateway', 'peakRssMiB')?.max ?? null;
      const p = value(r, 7, 'peer', 'peakRssMiB')?.max;
      return verdict(v, (x) => x < 300, `${fmt(v, 0)} MiB`, p ? `peer: ${p.toFixed(0)} MiB` : undefined);
    },
  },
  {
    id: 's7-options',
    text: 'scenario 7: OPTIONS answered within 1 s under rapid reset (gateway p99)',
    judge: (r) => {
      const v = value(r, 7, 'gateway', 'optionsP99Ms')?.median ?? null;
      const p = value(r, 7, 'peer', 'optionsP99Ms')?.median;
      return verdict(v, (x) => x < 1000, `${fmt(v, 0)} ms`, p ? `peer: ${p.toFixed(0)} ms` : undefined);
    },
  },
  ...STORE_TARGETS,
  ...SCALE_OUT_TARGETS,
];

/**
 * @param {Map<number, ScenarioResult>} results
 * @returns {Array<{ id: string, text: string, verdict: Verdict }>}
 */
export function judgeTargets(results) {
  return TARGETS.map((t) => ({ id: t.id, text: t.text, verdict: t.judge(results) }));
}
