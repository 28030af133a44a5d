#!/usr/bin/env node
/**
 * `npm run bench [-- --quick] [--only 1,3] [--rounds N] [--baseline other/dist/cli/main.js]`
 *
 * Measures resumable-gateway against @tus/server (the peer) and against the
 * machine's limit (a minimal Node server writing or discarding the body),
 * and optionally against another build of itself (the baseline),
 * interleaving the contenders round by round, and prints a table of medians
 * and ratios with the issue's targets. Writes the raw runs as JSON and a
 * chart of the ratios as SVG under bench/results/. See bench/README.md.
 */
import { mkdirSync, writeFileSync, copyFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { USAGE, parseOptions } from './lib/args.js';
import { renderChart } from './lib/chart.js';
import { killAll } from './lib/children.js';
import { makeConfig } from './lib/config.js';
import { GATEWAY_MAIN, buildProblem } from './lib/contenders.js';
import { runScenario } from './lib/interleave.js';
import { formatDuration, renderTable, renderTargets } from './lib/report.js';
import { TARGETS, judgeTargets } from './lib/targets.js';
import { createWorkspace } from './lib/workspace.js';
import { SCENARIOS } from './scenarios/index.js';

/**
 * Rough duration: the scenarios' own guesses per run, plus generating the
 * random data (~400 MiB/s).
 * @param {import('./scenarios/types.js').Scenario[]} scenarios
 * @param {import('./lib/config.js').Config} cfg
 * @param {string[]} columns
 */
function estimateSeconds(scenarios, cfg, columns) {
  const runs = scenarios.reduce(
    (sum, s) => sum + cfg.rounds * s.columns.filter((c) => columns.includes(c)).reduce((a, c) => a + s.estimateSeconds(cfg, c), 0),
    0,
  );
  const ids = new Set(scenarios.map((s) => s.id));
  const sizes = new Set();
  if (ids.has(1) || ids.has(2)) sizes.add(cfg.single.size);
  if (ids.has(3)) sizes.add(cfg.concurrent.size);
  if (ids.has(6)) sizes.add(cfg.client.size);
  const bytes = [...sizes].reduce((a, b) => a + b, 0);
  return runs + bytes / (400 * 1024 * 1024);
}

const RESULTS_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'results');

/** @param {string} line */
const log = (line) => process.stderr.write(`${line}\n`);

async function main() {
  let opts;
  try {
    opts = parseOptions(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`${/** @type {Error} */ (err).message}\n\n${USAGE}`);
    return 2;
  }
  if (opts.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const t0 = performance.now();
  const startedAt = new Date();
  const cfg = makeConfig(opts);
  const scenarios = SCENARIOS.filter((s) => !opts.only || opts.only.includes(s.id));
  const ws = createWorkspace();
  const ctx = { cfg, ws };

  const problem = buildProblem(GATEWAY_MAIN);
  const estimate = estimateSeconds(scenarios, cfg, opts.contenders);
  log(`resumable-gateway bench: ${opts.quick ? 'quick' : 'full'} run, ${cfg.rounds} round(s), scenarios ${scenarios.map((s) => s.id).join(',')}`);
  log(`node ${process.version}, ${os.cpus().length} CPUs, load ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}, scratch ${ws.root}`);
  log(`estimated duration: ~${formatDuration(estimate)} (rough: assumes ~400 MiB/s uploads and ~3 s per peer lock trial)`);
  log('each run starts a fresh server process (peak RSS = VmHWM, which cannot be reset)');
  if (problem) log(`gateway: unavailable, its columns will read "skipped": ${problem}`);
  if (opts.baseline) {
    log(`baseline: ${opts.baseline}`);
    const baselineProblem = buildProblem(opts.baseline);
    if (baselineProblem) log(`baseline: unavailable, its column will read "skipped": ${baselineProblem}`);
  }

  /** @type {import('./lib/interleave.js').ScenarioResult[]} */
  const results = [];
  for (const s of scenarios) {
    log(`\nscenario ${s.id}: ${s.title(cfg)}`);
    results.push(await runScenario(s, ctx, { columns: opts.contenders, limitFsync: opts.limitFsync, baseline: opts.baseline, log }));
  }

  const byId = new Map(results.map((r) => [r.id, r]));
  const judged = judgeTargets(byId);
  const elapsed = (performance.now() - t0) / 1000;

  const out = [];
  out.push('');
  out.push(`resumable-gateway benchmark (${opts.quick ? 'quick' : 'full'}, ${cfg.rounds} round(s) interleaved; median (min-max); ↑/↓ = higher/lower is better)`);
  for (const r of results) out.push(`  ${r.id}: ${r.title}`);
  out.push('');
  out.push(renderTable(results));
  out.push('');
  out.push(`net = limit server with the body discarded (network limit); limit = body piped to a file${opts.limitFsync ? ', fsynced before the 204 (--limit-fsync)' : ' (no fsync)'}.`);
  if (results.some((sc) => sc.columns.includes('limit-info'))) out.push('limit-info = the limit server also writing a small <id>.info per upload (two files, as in tusd\'s layout).');
  if (opts.baseline) out.push(`baseline = ${opts.baseline} (same flags as the gateway; gateway/baseline: per-round ratios).`);
  for (const r of results) if (r.note) out.push(r.note);
  const gwProblem = buildProblem(GATEWAY_MAIN);
  if (gwProblem) out.push(`gateway: ${gwProblem}`);
  const blProblem = opts.baseline ? buildProblem(opts.baseline) : null;
  if (blProblem) out.push(`baseline: ${blProblem}`);
  out.push('');
  out.push('targets (shown, not asserted):');
  out.push(renderTargets(judged));

  mkdirSync(RESULTS_DIR, { recursive: true });
  const stamp = startedAt.toISOString().replace(/[:.]/g, '-');
  const jsonPath = path.join(RESULTS_DIR, `bench-${stamp}.json`);
  const svgPath = path.join(RESULTS_DIR, `bench-${stamp}.svg`);
  const subtitle = `${startedAt.toISOString()}  ${opts.quick ? 'quick' : 'full'} run, ${cfg.rounds} round(s), node ${process.version}, ${os.cpus().length} CPUs`;
  writeFileSync(svgPath, renderChart(results, judged, { subtitle, targets: TARGETS }));
  writeFileSync(jsonPath, `${JSON.stringify({
    meta: {
      startedAt: startedAt.toISOString(),
      elapsedSeconds: elapsed,
      estimatedSeconds: estimate,
      options: opts,
      config: cfg,
      node: process.version,
      platform: `${os.type()} ${os.release()} ${os.arch()}`,
      cpus: os.cpus().length,
      cpuModel: os.cpus()[0]?.model,
      totalMemBytes: os.totalmem(),
      loadavgAtEnd: os.loadavg(),
      gateway: gwProblem ? { available: false, problem: gwProblem } : { available: true },
      ...(opts.baseline ? { baseline: { main: opts.baseline, ...(blProblem ? { available: false, problem: blProblem } : { available: true }) } } : {}),
    },
    scenarios: results,
    targets: judged,
  }, null, 2)}\n`);
  copyFileSync(jsonPath, path.join(RESULTS_DIR, 'latest.json'));
  copyFileSync(svgPath, path.join(RESULTS_DIR, 'latest.svg'));

  out.push('');
  out.push(`raw runs: ${path.relative(process.cwd(), jsonPath)}`);
  out.push(`chart:    ${path.relative(process.cwd(), svgPath)} (also latest.json / latest.svg)`);
  out.push(`elapsed:  ${formatDuration(elapsed)} (estimated ${formatDuration(estimate)})`);
  process.stdout.write(`${out.join('\n')}\n`);
  return 0;
}

main().then(
  (code) => {
    killAll();
    process.exit(code);
  },
  (err) => {
    process.stderr.write(`bench failed: ${err?.stack ?? err}\n`);
    killAll();
    process.exit(1);
  },
);
