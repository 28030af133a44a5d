/**
 * The session's scratch space: one temp directory holding the generated
 * upload data and a fresh upload directory per run. Removed on exit.
 */
import { mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { onExit } from './children.js';

/**
 * @typedef {object} Workspace
 * @property {string} root            the session's temp directory
 * @property {string} dataDir         generated upload data (kept for the session)
 * @property {(label: string) => string} runDir   a new empty dir for one run
 * @property {(dir: string) => Promise<void>} remove
 */

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
      await rm(dir, { recursive: true, force: true });
    },
  };
}
