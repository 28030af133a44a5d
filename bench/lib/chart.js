/**
 * A hand-written SVG chart of the ratios (no dependency).
 *
 * One row per scenario, metric and comparison (gateway vs peer, gateway vs
 * limit, and gateway vs baseline when a baseline build ran). The x axis is the gateway's *advantage* on a log scale: the ratio
 * gateway/x for higher-is-better metrics, its inverse for lower-is-better
 * ones, so right of the 1x line always means "gateway better" (green) and
 * left means "gateway worse" (red); within 2% of 1x is grey. The dot is the
 * median of the per-round ratios, the bar their min-max; the text on the
 * right is the ratio as in the table. Dashed orange ticks mark the issue's
 * ratio targets; the other targets are listed below the plot.
 */

/**
 * @typedef {import('./interleave.js').ScenarioResult} ScenarioResult
 * @typedef {ReturnType<typeof import('./targets.js').judgeTargets>} Judged
 */

/** @param {string} s */
const esc = (s) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** @param {number} v */
const num = (v) => (Math.round(v * 10) / 10).toString();

/** Two decimals, or two significant digits for small ratios. @param {number} v */
export const formatRatio = (v) => (v >= 0.1 ? v.toFixed(2) : v.toPrecision(2));

/**
 * @param {ScenarioResult[]} results
 * @param {Judged} judged
 * @param {{ subtitle: string, targets: import('./targets.js').Target[] }} opts
 * @returns {string}
 */
export function renderChart(results, judged, { subtitle, targets }) {
  /** @type {Array<{ label: string, vs: string, adv: { median: number, min: number, max: number }, raw: string, target?: number }>} */
  const rows = [];
  for (const sc of results) {
    for (const m of sc.metrics) {
      if (m.ratio === false) continue;
      for (const vs of /** @type {const} */ (['baseline', 'peer', 'limit'])) {
        const s = sc.ratios[vs]?.[m.key];
        if (!s) continue;
        const inv = m.better === 'lower';
        const a = (/** @type {number} */ r) => (inv ? 1 / r : r);
        const adv = { median: a(s.median), min: Math.min(a(s.min), a(s.max)), max: Math.max(a(s.min), a(s.max)) };
        const raw = s.n > 1 ? `${formatRatio(s.median)}x (${formatRatio(s.min)}-${formatRatio(s.max)})` : `${formatRatio(s.median)}x`;
        const t = targets.find((x) => x.chart && x.chart.scenario === sc.id && x.chart.vs === vs && x.chart.metric === m.key);
        rows.push({
          label: `${sc.id} ${sc.short}: ${m.label} ${m.better === 'higher' ? '↑' : '↓'}`,
          vs,
          adv,
          raw,
          target: t?.chart ? (inv ? 1 / t.chart.at : t.chart.at) : undefined,
        });
      }
    }
  }

  const W = 1000;
  const left = 330;
  const plotW = 460;
  const top = 96;
  const rowH = 24;
  const plotH = Math.max(rows.length, 1) * rowH;
  const footTop = top + plotH + 44;
  const H = footTop + 22 + judged.length * 18 + 16;

  // log2 domain: at least 1/4x..4x, widened to the data up to 1/16x..16x;
  // points beyond are drawn as arrows at the edge (the text has the value)
  const all = rows.flatMap((r) => [r.adv.min, r.adv.max, r.target ?? 1]).filter((x) => x > 0 && Number.isFinite(x));
  const lo = Math.max(-4, Math.min(-2, Math.floor(Math.log2(Math.min(...all, 1)))));
  const hi = Math.min(4, Math.max(2, Math.ceil(Math.log2(Math.max(...all, 1)))));
  const clampLog = (/** @type {number} */ v) => Math.min(Math.max(Math.log2(v), lo), hi);
  const x = (/** @type {number} */ v) => left + ((clampLog(v) - lo) / (hi - lo)) * plotW;
  const beyond = (/** @type {number} */ v) => (Math.log2(v) > hi ? 1 : Math.log2(v) < lo ? -1 : 0);

  const out = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="system-ui, -apple-system, Segoe UI, sans-serif" font-size="12">`);
  out.push(`<rect width="${W}" height="${H}" fill="#ffffff"/>`);
  const withBaseline = rows.some((r) => r.vs === 'baseline');
  out.push(`<text x="16" y="24" font-size="16" font-weight="bold">resumable-gateway benchmark: gateway advantage over ${withBaseline ? 'baseline, ' : ''}peer and limit</text>`);
  out.push(`<text x="16" y="44" fill="#555">${esc(subtitle)}</text>`);
  out.push(`<text x="16" y="62" fill="#555">x = gateway/other for ↑ (higher is better) metrics, other/gateway for ↓ ones: right of 1x = gateway better (green), left = worse (red), within 2% = grey.</text>`);
  const legend = withBaseline
    ? 'mark = median of the per-round ratios, bar = min-max; ◆ vs baseline, ● vs peer, ■ vs limit; orange = targets; ▶/◀ off the scale.'
    : 'dot = median of the per-round ratios, bar = their min-max; ● vs peer, ■ vs limit; orange dashes = targets; ▶/◀ = off the scale.';
  out.push(`<text x="16" y="78" fill="#555">${legend}</text>`);

  // grid and axis labels
  for (let e = lo; e <= hi; e++) {
    const v = 2 ** e;
    const gx = x(v);
    out.push(`<line x1="${num(gx)}" y1="${top - 6}" x2="${num(gx)}" y2="${top + plotH}" stroke="${e === 0 ? '#333' : '#ddd'}" stroke-width="${e === 0 ? 1.5 : 1}"/>`);
    const label = v >= 1 ? `${v}x` : `1/${1 / v}x`;
    out.push(`<text x="${num(gx)}" y="${top + plotH + 16}" text-anchor="middle" fill="#555">${label}</text>`);
  }
  out.push(`<text x="${left + plotW / 2}" y="${top + plotH + 32}" text-anchor="middle" fill="#333">gateway advantage (log scale)</text>`);
  out.push(`<text x="${left + plotW + 12}" y="${top - 10}" fill="#333" font-weight="bold">ratio as in the table</text>`);

  if (rows.length === 0) {
    out.push(`<text x="${left + 10}" y="${top + 16}" fill="#a00">no ratios: the gateway did not run (see the JSON and the log)</text>`);
  }
  rows.forEach((r, i) => {
    const cy = top + i * rowH + rowH / 2;
    if (i % 2 === 0) out.push(`<rect x="8" y="${top + i * rowH}" width="${W - 16}" height="${rowH}" fill="#f6f6f6"/>`);
    out.push(`<text x="16" y="${cy + 4}">${esc(r.label)}</text>`);
    out.push(`<text x="${left - 8}" y="${cy + 4}" text-anchor="end" fill="#555">vs ${r.vs}</text>`);
    // within 2% of 1x is a tie (grey)
    const color = Math.abs(Math.log2(r.adv.median)) < Math.log2(1.02) ? '#888888' : r.adv.median > 1 ? '#2a9d4a' : '#d04a3a';
    out.push(`<line x1="${num(x(r.adv.min))}" y1="${cy}" x2="${num(x(r.adv.max))}" y2="${cy}" stroke="${color}" stroke-width="3" stroke-linecap="round" opacity="0.55"/>`);
    const mx = x(r.adv.median);
    const off = beyond(r.adv.median);
    if (off) out.push(`<path d="M${num(mx + off * 7)},${cy} L${num(mx - off * 5)},${cy - 7} L${num(mx - off * 5)},${cy + 7} Z" fill="${color}"/>`);
    else if (r.vs === 'peer') out.push(`<circle cx="${num(mx)}" cy="${cy}" r="5.5" fill="${color}"/>`);
    else if (r.vs === 'baseline') out.push(`<path d="M${num(mx)},${cy - 6.5} L${num(mx + 6.5)},${cy} L${num(mx)},${cy + 6.5} L${num(mx - 6.5)},${cy} Z" fill="${color}"/>`);
    else out.push(`<rect x="${num(mx - 5)}" y="${cy - 5}" width="10" height="10" fill="${color}"/>`);
    if (r.target !== undefined) {
      const tx = x(r.target);
      out.push(`<line x1="${num(tx)}" y1="${cy - 9}" x2="${num(tx)}" y2="${cy + 9}" stroke="#e08a00" stroke-width="2" stroke-dasharray="3,2"/>`);
    }
    out.push(`<text x="${left + plotW + 12}" y="${cy + 4}">${esc(r.raw)}</text>`);
  });

  out.push(`<text x="16" y="${footTop}" font-weight="bold">targets</text>`);
  judged.forEach(({ text, verdict }, i) => {
    const y = footTop + 20 + i * 18;
    const [mark, color] = verdict.met === null ? ['n/a', '#777'] : verdict.met ? ['met', '#2a9d4a'] : ['missed', '#d04a3a'];
    out.push(`<text x="16" y="${y}" fill="${color}" font-weight="bold">${mark}</text>`);
    out.push(`<text x="80" y="${y}">${esc(`${text}: ${verdict.shown}${verdict.context ? `  (${verdict.context})` : ''}`)}</text>`);
  });
  out.push('</svg>');
  return out.join('\n') + '\n';
}
