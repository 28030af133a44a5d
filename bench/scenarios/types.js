/**
 * Shapes shared by the scenario modules and the runner (JSDoc only).
 *
 * @typedef {import('../lib/contenders.js').Column} Column
 * @typedef {import('../lib/contenders.js').Instance} Instance
 * @typedef {import('../lib/config.js').Config} Config
 * @typedef {import('../lib/workspace.js').Workspace} Workspace
 *
 * @typedef {object} Metric
 * @property {string} key
 * @property {string} label          e.g. "MiB/s"
 * @property {'higher' | 'lower'} better
 * @property {number} digits         decimals shown in the table
 * @property {boolean} [ratio]        false: shown, but no gateway/x ratio (default true)
 *
 * @typedef {object} Context
 * @property {Config} cfg
 * @property {Workspace} ws
 *
 * @typedef {object} RunResult
 * @property {Record<string, number | null>} metrics
 * @property {Record<string, unknown>} [details]
 *
 * @typedef {object} Scenario
 * @property {number} id
 * @property {string} short         a few words for the table
 * @property {(cfg: Config) => string} title
 * @property {Column[]} columns       which contenders take part, in run order
 * @property {boolean} h2             clients speak h2c (prior knowledge)
 * @property {Metric[]} metrics
 * @property {string} [note]          printed under the table (e.g. why limit is n/a)
 * @property {(column: Column) => import('../lib/contenders.js').ContenderSpec} [contender]   its own contenders (default: contenders.js)
 * @property {(ctx: Context) => Promise<void>} [prepare]   e.g. generate data (not timed)
 * @property {(inst: Instance, ctx: Context) => Promise<RunResult>} run
 * @property {(cfg: Config) => number} timeoutMs     bound of one run
 * @property {(cfg: Config, column: Column) => number} estimateSeconds   rough, for the up-front estimate
 */
export {};
