/**
 * Command-line options of `npm run bench`.
 *
 *   --quick            smoke run: 1 round, small sizes (about two minutes)
 *   --only 1,3,5       run only these scenarios (1-6, 11)
 *   --rounds N         interleaved rounds per scenario (default 3, or 1 with --quick)
 *   --contenders a,b   only these columns: gateway, baseline, peer, limit, limit-info, net (debugging aid)
 *   --limit-fsync      the limit server fsyncs each file before answering
 *   --baseline PATH    another gateway build's dist/cli/main.js as an extra column
 *                      (or env BENCH_BASELINE_MAIN)
 *   --help
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { SCENARIOS } from '../scenarios/index.js';

/** The scenarios there are (bench/scenarios/index.js). */
const SCENARIO_IDS = SCENARIOS.map((scenario) => scenario.id);

/** Every column, in run order; `baseline` runs only when a baseline build is given. */
export const COLUMNS = /** @type {const} */ (['gateway', 'baseline', 'peer', 'limit', 'limit-info', 'net']);

/**
 * @typedef {object} Options
 * @property {boolean} quick
 * @property {number[] | null} only       scenario numbers, or null for all
 * @property {number | null} rounds       explicit rounds, or null for the default
 * @property {string[]} contenders        enabled columns
 * @property {boolean} limitFsync         limit column fsyncs each file
 * @property {string | null} baseline     absolute path of the baseline build's main.js, or null
 */

/**
 * @param {string[]} argv  process.argv.slice(2)
 * @returns {Options & { help: boolean }}
 */
export function parseOptions(argv) {
  const { values } = parseArgs({
    args: argv,
    options: {
      quick: { type: 'boolean', default: false },
      only: { type: 'string' },
      rounds: { type: 'string' },
      contenders: { type: 'string' },
      'limit-fsync': { type: 'boolean', default: false },
      baseline: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  const only = values.only
    ? values.only.split(',').map((s) => Number.parseInt(s.trim(), 10)).filter((n) => Number.isInteger(n))
    : null;
  if (only && only.some((n) => !SCENARIO_IDS.includes(n))) throw new Error(`--only: scenario numbers are ${SCENARIO_IDS.join(', ')}, got ${values.only}`);
  const rounds = values.rounds ? Number.parseInt(values.rounds, 10) : null;
  if (rounds !== null && !(rounds >= 1)) throw new Error(`--rounds must be a positive integer, got ${values.rounds}`);
  const baselineMain = values.baseline ?? process.env.BENCH_BASELINE_MAIN;
  const baseline = baselineMain ? path.resolve(baselineMain) : null;
  const contenders = values.contenders
    ? values.contenders.split(',').map((s) => s.trim())
    : COLUMNS.filter((c) => c !== 'baseline' || baseline);
  for (const c of contenders) {
    if (!COLUMNS.includes(/** @type {any} */ (c))) throw new Error(`--contenders: unknown column ${c}`);
    if (c === 'baseline' && !baseline) throw new Error('--contenders: the baseline column needs --baseline <main.js>');
  }
  return { quick: values.quick, only, rounds, contenders, limitFsync: values['limit-fsync'], baseline, help: values.help };
}

export const USAGE = `Usage: npm run bench -- [--quick] [--only 1,2,...] [--rounds N] [--contenders gateway,peer,limit,net]
                       [--limit-fsync] [--baseline path/to/dist/cli/main.js]

  --quick       smoke run: 1 round and small sizes (about two minutes)
  --only        comma-separated scenario numbers (${SCENARIO_IDS.join(', ')})
  --rounds      interleaved rounds per scenario (default 3; 1 with --quick)
  --contenders  restrict the columns that run (for debugging the harness)
  --limit-fsync the limit server fsyncs every file before its 204 (like-for-like
                with a server that syncs uploads, e.g. the gateway with --fsync)
  --baseline    another build of the gateway (its dist/cli/main.js) runs as the
                column "baseline", with the gateway's flags, in the same rounds;
                the report adds gateway/baseline (env: BENCH_BASELINE_MAIN)
`;
