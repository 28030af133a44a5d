/**
 * Reading a child's CPU time and peak RSS from /proc (Linux only).
 *
 * - CPU: utime + stime of /proc/<pid>/stat (all threads of the process),
 *   in clock ticks; converted with CLK_TCK = 100, the Linux default.
 * - Peak RSS: VmHWM of /proc/<pid>/status. The high-water mark cannot be
 *   reset, so the benchmark starts a fresh process for every run and reads
 *   it just before stopping the process: the figure covers start-up plus
 *   exactly one run.
 */
import { readFileSync } from 'node:fs';

const CLK_TCK = 100;

/**
 * CPU seconds (user + system) the process has used so far, or null.
 * @param {number} pid
 * @returns {number | null}
 */
export function cpuSeconds(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces; fields after ')' are plain.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // rest[0] is field 3 (state); utime is field 14, stime field 15.
    const utime = Number(rest[11]);
    const stime = Number(rest[12]);
    return (utime + stime) / CLK_TCK;
  } catch {
    return null;
  }
}

/**
 * Peak resident set size (VmHWM) in bytes, or null.
 * @param {number} pid
 * @returns {number | null}
 */
export function peakRssBytes(pid) {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const m = /^VmHWM:\s+(\d+)\s+kB/m.exec(status);
    return m ? Number(m[1]) * 1024 : null;
  } catch {
    return null;
  }
}
