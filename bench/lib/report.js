/**
 * The text report on stdout: one row per scenario and metric, with
 *
 *   gateway | peer | limit | gateway/peer | gateway/limit | net
 *
 * and, when a baseline build ran, a `baseline` column next to `gateway` and
 * a `gateway/baseline` ratio before `gateway/peer`.
 * Values are "median (min-max)" over the rounds (just the value with one
 * round). Ratios are medians (min-max) of the per-round ratios. "net" is
 * the limit server with the body discarded (the network limit). "n/a"
 * means the contender does not take part in that scenario, "skipped" that
 * it could not be started (e.g. the gateway is not built), "error" that
 * every run of it failed (details in the log above and in the JSON).
 */

/**
 * @typedef {import('./interleave.js').ScenarioResult} ScenarioResult
 * @typedef {import('./stats.js').Summary} Summary
 */

/**
 * @param {Summary | null | undefined} s
 * @param {number} digits
 */
function cell(s, digits) {
  if (!s) return null;
  const f = (/** @type {number} */ v) => v.toFixed(digits);
  if (s.n === 1 || f(s.min) === f(s.max)) return f(s.median);
  return `${f(s.median)} (${f(s.min)}-${f(s.max)})`;
}

/**
 * Why a column has no figure.
 * @param {ScenarioResult} sc
 * @param {string} col
 */
function missing(sc, col) {
  if (!sc.columns.includes(/** @type {any} */ (col))) return 'n/a';
  const runs = sc.runs.filter((r) => r.column === col);
  if (runs.length && runs.every((r) => r.outcome === 'skipped')) return 'skipped';
  if (runs.some((r) => r.outcome === 'error')) return 'error';
  return 'n/a';
}

/**
 * Like cell(), for ratios: two decimals, or two significant digits below 0.1.
 * @param {Summary | null | undefined} s
 */
function ratioCell(s) {
  if (!s) return null;
  const f = (/** @type {number} */ v) => (v >= 0.1 ? v.toFixed(2) : v.toPrecision(2));
  if (s.n === 1 || f(s.min) === f(s.max)) return `${f(s.median)}x`;
  return `${f(s.median)}x (${f(s.min)}-${f(s.max)})`;
}

/**
 * @param {ScenarioResult[]} results
 * @returns {string}
 */
export function renderTable(results) {
  const withBaseline = results.some((sc) => sc.columns.includes('baseline'));
  const withInfo = results.some((sc) => sc.columns.includes('limit-info'));
  const header = [
    'scenario', 'metric', 'gateway', ...(withBaseline ? ['baseline'] : []), 'peer', 'limit', ...(withInfo ? ['limit-info'] : []),
    ...(withBaseline ? ['gateway/baseline'] : []), 'gateway/peer', 'gateway/limit', ...(withInfo ? ['gateway/limit-info'] : []), 'net',
  ];
  /** @type {string[][]} */
  const rows = [];
  for (const sc of results) {
    sc.metrics.forEach((m, i) => {
      const v = (/** @type {string} */ col) => cell(sc.values[col]?.[m.key], m.digits) ?? missing(sc, col);
      const ratio = (/** @type {'baseline' | 'peer' | 'limit' | 'limit-info'} */ vs) => {
        if (m.ratio === false) return '';
        return ratioCell(sc.ratios[vs]?.[m.key]) ?? 'n/a';
      };
      const arrow = m.ratio === false ? '' : m.better === 'higher' ? ' ↑' : ' ↓';
      rows.push([
        i === 0 ? `${sc.id} ${sc.short}` : '',
        m.label + arrow,
        v('gateway'), ...(withBaseline ? [v('baseline')] : []), v('peer'), v('limit'), ...(withInfo ? [v('limit-info')] : []),
        ...(withBaseline ? [ratio('baseline')] : []), ratio('peer'), ratio('limit'), ...(withInfo ? [ratio('limit-info')] : []),
        v('net'),
      ]);
    });
  }
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c].length)));
  const line = (/** @type {string[]} */ r) => r.map((x, c) => (c < 2 ? x.padEnd(widths[c]) : x.padStart(widths[c]))).join('  ').trimEnd();
  const sep = widths.map((w) => '-'.repeat(w)).join('  ');
  const out = [line(header), sep];
  let last = '';
  for (const r of rows) {
    if (r[0] && last) out.push('');
    out.push(line(r));
    last = r[0] || last;
  }
  return out.join('\n');
}

/**
 * @param {ReturnType<typeof import('./targets.js').judgeTargets>} judged
 * @returns {string}
 */
export function renderTargets(judged) {
  return judged
    .map(({ text, verdict }) => {
      const mark = verdict.met === null ? '[n/a]   ' : verdict.met ? '[met]   ' : '[missed]';
      return `${mark} ${text}: ${verdict.shown}${verdict.context ? `  (${verdict.context})` : ''}`;
    })
    .join('\n');
}

/** @param {number} seconds */
export function formatDuration(seconds) {
  const s = Math.round(seconds);
  const m = Math.floor(s / 60);
  return m ? `${m} min ${String(s % 60).padStart(2, '0')} s` : `${s} s`;
}
