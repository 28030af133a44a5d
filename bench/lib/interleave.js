/**
 * Running one scenario: N rounds, each running every contender once, the order
 * turned by one each round (A B C D, B C D A, ...): the first run of a round was
 * slower (the same build as gateway and as baseline, always first and always
 * second: 667-834 against 830-899 MiB/s in scenario 1), so none may always be
 * first. Each run is in a fresh process and a fresh
 * upload directory (emptied after the run, see workspace.js). Then the summaries: median
 * and min-max of every metric per contender, and of the per-round ratios
 * gateway/peer and gateway/limit, and gateway/baseline when a baseline
 * build runs (runs of the same round are neighbours in time, so their
 * ratio cancels most of a shared machine's drift).
 */
import { performance } from 'node:perf_hooks';
import { UnavailableError, contender, start } from './contenders.js';
import { summarize } from './stats.js';

/**
 * @typedef {import('../scenarios/types.js').Scenario} Scenario
 * @typedef {import('../scenarios/types.js').Context} Context
 * @typedef {import('./contenders.js').Column} Column
 *
 * @typedef {object} Run
 * @property {number} round
 * @property {Column} column
 * @property {string} contender
 * @property {'ok' | 'error' | 'skipped'} outcome
 * @property {string} [error]
 * @property {Record<string, number | null>} [metrics]
 * @property {Record<string, unknown>} [details]
 * @property {number} seconds       wall time of the run, start-up included
 *
 * @typedef {object} ScenarioResult
 * @property {number} id
 * @property {string} short
 * @property {string} title
 * @property {boolean} h2
 * @property {Column[]} columns
 * @property {import('../scenarios/types.js').Metric[]} metrics
 * @property {string} [note]
 * @property {Run[]} runs
 * @property {Record<string, Record<string, import('./stats.js').Summary | null>>} values   column -> metric -> summary
 * @property {Record<string, Record<string, import('./stats.js').Summary | null>>} ratios   'peer'|'limit'|'baseline'|'limit-info' -> metric -> summary of gateway/x
 */

/**
 * @param {Scenario} scenario
 * @param {Context} ctx
 * @param {{ columns: string[], limitFsync: boolean, baseline: string | null, log: (line: string) => void }} opts
 * @returns {Promise<ScenarioResult>}
 */
export async function runScenario(scenario, ctx, { columns, limitFsync, baseline, log }) {
  const cols = scenario.columns.filter((c) => columns.includes(c));
  await scenario.prepare?.(ctx);
  /** @type {Run[]} */
  const runs = [];
  for (let round = 1; round <= ctx.cfg.rounds; round++) {
    const turn = (round - 1) % cols.length;
    for (const column of [...cols.slice(turn), ...cols.slice(0, turn)]) {
      const spec = scenario.contender?.(column) ?? contender(column, { h2: scenario.h2, limitFsync, baseline });
      const run = await runOnce(scenario, spec, ctx, round);
      runs.push(run);
      log(`  [${scenario.id}] round ${round}/${ctx.cfg.rounds} ${spec.id.padEnd(18)} ${describe(scenario, run)}`);
    }
  }
  return {
    id: scenario.id,
    short: scenario.short,
    title: scenario.title(ctx.cfg),
    h2: scenario.h2,
    columns: cols,
    metrics: scenario.metrics,
    note: scenario.note,
    runs,
    values: valueSummaries(scenario, cols, runs),
    ratios: ratioSummaries(scenario, cols, runs),
  };
}

/**
 * @param {Scenario} scenario
 * @param {import('./contenders.js').ContenderSpec} spec
 * @param {Context} ctx
 * @param {number} round
 * @returns {Promise<Run>}
 */
async function runOnce(scenario, spec, ctx, round) {
  const t0 = performance.now();
  const base = { round, column: spec.column, contender: spec.id };
  const dir = ctx.ws.runDir(`${scenario.id}-${spec.id}`);
  const seconds = () => (performance.now() - t0) / 1000;
  /** @type {import('./contenders.js').Instance | null} */
  let inst = null;
  try {
    inst = await start(spec, dir);
    const result = await withTimeout(scenario.run(inst, ctx), scenario.timeoutMs(ctx.cfg));
    return { ...base, outcome: 'ok', metrics: result.metrics, details: result.details, seconds: seconds() };
  } catch (err) {
    const e = /** @type {Error} */ (err);
    const outcome = err instanceof UnavailableError ? 'skipped' : 'error';
    const tail = inst?.stderr().trim();
    const error = e.message + (tail && outcome === 'error' ? ` | server stderr: ${tail.slice(-500)}` : '');
    return { ...base, outcome, error, seconds: seconds() };
  } finally {
    await inst?.stop();
    await ctx.ws.remove(dir);
  }
}

/**
 * @template T
 * @param {Promise<T>} p
 * @param {number} ms
 * @returns {Promise<T>}
 */
function withTimeout(p, ms) {
  p.catch(() => {}); // an abandoned run must not become an unhandled rejection
  /** @type {NodeJS.Timeout | undefined} */
  let timer;
  const t = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`run timed out after ${Math.round(ms / 1000)} s`)), ms);
  });
  return /** @type {Promise<T>} */ (Promise.race([p, t]).finally(() => clearTimeout(timer)));
}

/** @param {Scenario} scenario @param {Run} run */
function describe(scenario, run) {
  if (run.outcome !== 'ok') return `${run.outcome.toUpperCase()}: ${run.error}`;
  const parts = scenario.metrics.map((m) => {
    const v = run.metrics?.[m.key];
    return `${m.label} ${v === null || v === undefined ? 'n/a' : v.toFixed(m.digits)}`;
  });
  return `${parts.join(', ')} (${run.seconds.toFixed(1)} s)`;
}

/**
 * @param {Scenario} scenario
 * @param {Column[]} cols
 * @param {Run[]} runs
 */
function valueSummaries(scenario, cols, runs) {
  /** @type {ScenarioResult['values']} */
  const out = {};
  for (const col of cols) {
    out[col] = {};
    const ok = runs.filter((r) => r.column === col && r.outcome === 'ok');
    for (const m of scenario.metrics) out[col][m.key] = summarize(ok.map((r) => r.metrics?.[m.key]));
  }
  return out;
}

/**
 * Per-round ratios gateway/peer and gateway/limit, and gateway/baseline and gateway/limit-info if they ran.
 * @param {Scenario} scenario
 * @param {Column[]} cols
 * @param {Run[]} runs
 */
function ratioSummaries(scenario, cols, runs) {
  /** @type {ScenarioResult['ratios']} */
  const out = {};
  /** @type {Column[]} */
  const others = /** @type {Column[]} */ (['baseline', 'peer', 'limit', 'limit-info']).filter((c) => c === 'peer' || c === 'limit' || cols.includes(c));
  for (const other of others) {
    out[other] = {};
    for (const m of scenario.metrics) {
      if (m.ratio === false) continue;
      /** @type {number[]} */
      const ratios = [];
      const rounds = new Set(runs.map((r) => r.round));
      for (const round of rounds) {
        const g = runs.find((r) => r.round === round && r.column === 'gateway' && r.outcome === 'ok')?.metrics?.[m.key];
        const o = runs.find((r) => r.round === round && r.column === other && r.outcome === 'ok')?.metrics?.[m.key];
        if (typeof g === 'number' && typeof o === 'number' && o > 0) ratios.push(g / o);
      }
      out[other][m.key] = summarize(ratios);
    }
  }
  return out;
}
