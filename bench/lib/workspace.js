/**
 * The session's scratch space: one temp directory holding the generated
 * upload data and a fresh upload directory per run. Removed on exit.
 *
 * A run's directory is emptied of its large files after the run, not
 * removed: unlinking thousands of small files made the runs after it slow
 * to create theirs (ext4 without a journal, as on this project's CI
 * machines, skips every inode freed in the last 60-300 s and checks each
 * one, so whichever contender followed a removal paid for it: scenario 4
 * varied 2x between rounds). The small files go when the session ends.
 */
import { mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { readdir, stat, truncate } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { onExit } from './children.js';

/**
 * @typedef {object} Workspace
 * @property {string} root            the session's temp directory
 * @property {string} dataDir         generated upload data (kept for the session)
 * @property {(label: string) => string} runDir   a new empty dir for one run
 * @property {(dir: string) => Promise<void>} remove  frees the space of a run's dir (see above)
 */

/** Files at least this large are emptied when their run ends. */
const LARGE = 1024 * 1024;

/** @returns {Workspace} */
export function createWorkspace() {
  const root = mkdtempSync(path.join(os.tmpdir(), 'resumable-gateway-bench-'));
  const dataDir = path.join(root, 'data');
  mkdirSync(dataDir);
  onExit(() => rmSync(root, { recursive: true, force: true }));
  let n = 0;
  return {
    root,
    dataDir,
    runDir(label) {
      const dir = path.join(root, `run-${++n}-${label}`);
      mkdirSync(dir);
      return dir;
    },
    async remove(dir) {
      const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
      for (const entry of entries) {
        if (!entry.isFile()) continue;
        const file = path.join(entry.parentPath, entry.name);
        const { size } = await stat(file).catch(() => ({ size: 0 }));
        if (size >= LARGE) await truncate(file, 0).catch(() => {});
      }
    },
  };
}
