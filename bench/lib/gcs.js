/**
 * The GCS fake for scenario 11: the tests' fake of the GCS JSON API
 * (test/fakes/gcs, TypeScript), compiled once per session with the project's
 * own tsc into the workspace, and started as a child process per run (a fresh
 * fake holds only that run's bytes). It is not GCS: it measures nothing about
 * GCS, only lets the servers do their GCS work.
 */
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { promisify } from 'node:util';
import { spawnTracked } from './children.js';
import { PROJECT_DIR } from './contenders.js';

const START_TIMEOUT_MS = 15_000;
const READY_RE = /gcs fake listening on (http:\/\/\S+)/;

/** @type {Map<string, Promise<string>>} */
const compiled = new Map();

/**
 * The fake's entry module compiled into `dir` (once per directory).
 * @param {string} dir
 * @returns {Promise<string>} the path of the compiled gcs-fake.js
 */
export function compileFake(dir) {
  let done = compiled.get(dir);
  if (!done) {
    done = compile(dir);
    compiled.set(dir, done);
  }
  return done;
}

/** @param {string} dir */
async function compile(dir) {
  const tsc = path.join(path.dirname(createRequire(import.meta.url).resolve('typescript/package.json')), 'bin', 'tsc');
  const source = path.join(PROJECT_DIR, 'test', 'fakes', 'gcs', 'gcs-fake.ts');
  await promisify(execFile)(process.execPath, [
    tsc, '--outDir', dir, '--module', 'nodenext', '--moduleResolution', 'nodenext', '--target', 'es2022',
    '--strict', '--skipLibCheck', '--types', 'node', source,
  ], { cwd: PROJECT_DIR });
  // ES modules, as in the project.
  writeFileSync(path.join(dir, 'package.json'), '{ "type": "module" }\n');
  return path.join(dir, 'gcs-fake.js');
}

/**
 * A fresh fake holding an empty `bucket`.
 * @param {string} module   the compiled gcs-fake.js
 * @param {string} bucket
 * @returns {Promise<{ endpoint: string, stop: () => Promise<void> }>}
 */
export async function startFake(module, bucket) {
  const child = spawnTracked(process.execPath, [
    path.join(PROJECT_DIR, 'bench', 'servers', 'gcs-fake.js'), '--module', module, '--bucket', bucket,
  ], { stdio: ['ignore', 'pipe', 'pipe'] });
  let errTail = '';
  child.stderr?.setEncoding('utf8').on('data', (s) => { errTail = (errTail + s).slice(-2000); });
  const stop = () => new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve(undefined);
    child.once('exit', () => resolve(undefined));
    child.kill('SIGKILL');
  });
  try {
    const endpoint = await new Promise((resolve, reject) => {
      let out = '';
      const timer = setTimeout(() => reject(new Error(`did not answer within ${START_TIMEOUT_MS} ms`)), START_TIMEOUT_MS);
      child.stdout?.setEncoding('utf8').on('data', (s) => {
        out += s;
        const m = READY_RE.exec(out);
        if (m) { clearTimeout(timer); resolve(m[1]); }
      });
      child.once('exit', (code, sig) => { clearTimeout(timer); reject(new Error(`exited (${code ?? sig})`)); });
    });
    return { endpoint: /** @type {string} */ (endpoint), stop };
  } catch (err) {
    await stop();
    throw new Error(`gcs fake: ${/** @type {Error} */ (err).message}${errTail ? `; stderr: ${errTail.trim()}` : ''}`);
  }
}
