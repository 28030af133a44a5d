/**
 * Registry of every child process the benchmark starts (contenders, curl),
 * so that all of them are ended on exit, on errors and on SIGINT/SIGTERM.
 * Children are ended by their own pid only.
 */
import { spawn } from 'node:child_process';

/** @type {Set<import('node:child_process').ChildProcess>} */
const live = new Set();
/** @type {Array<() => void>} */
const exitHooks = [];
let installed = false;

/**
 * spawn() that registers the child until it exits.
 * @param {string} cmd
 * @param {string[]} args
 * @param {import('node:child_process').SpawnOptions} [opts]
 */
export function spawnTracked(cmd, args, opts = {}) {
  installHandlers();
  const child = spawn(cmd, args, opts);
  live.add(child);
  child.once('exit', () => live.delete(child));
  child.once('error', () => live.delete(child));
  return child;
}

/**
 * Run fn synchronously when the benchmark exits (e.g. remove temp dirs).
 * @param {() => void} fn
 */
export function onExit(fn) {
  installHandlers();
  exitHooks.push(fn);
}

/** SIGKILL every child still alive. Synchronous, safe to call twice. */
export function killAll() {
  for (const child of live) {
    if (child.exitCode === null && child.signalCode === null && child.pid) {
      try { process.kill(child.pid, 'SIGKILL'); } catch {}
    }
  }
  live.clear();
}

function runExitHooks() {
  killAll();
  while (exitHooks.length) {
    const fn = /** @type {() => void} */ (exitHooks.pop());
    try { fn(); } catch {}
  }
}

function installHandlers() {
  if (installed) return;
  installed = true;
  process.on('exit', runExitHooks);
  for (const sig of /** @type {const} */ (['SIGINT', 'SIGTERM', 'SIGHUP'])) {
    process.on(sig, () => {
      process.stderr.write(`\nbench: ${sig}, stopping children and cleaning up\n`);
      runExitHooks();
      process.exit(sig === 'SIGINT' ? 130 : 143);
    });
  }
}
