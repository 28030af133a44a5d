import { readFileSync, readlinkSync } from 'node:fs'

/**
 * Who holds a lock file: enough to tell, from another process of the same host, whether that holder
 * still runs. A pid alone is not enough: pids are reused, and a pid means nothing in another PID
 * namespace (another container) or after a reboot.
 */
export interface ProcessIdentity {
  readonly pid: number
  /** The process's start time in clock ticks since boot (`/proc/<pid>/stat`, field 22): a reused pid has another. */
  readonly start?: string
  /** `/proc/sys/kernel/random/boot_id`: a holder of an earlier boot is gone. */
  readonly boot?: string
  /** The PID namespace (`/proc/self/ns/pid`): a pid can only be checked from the same one. */
  readonly pidns?: string
}

/** Whether a holder runs: `unknown` for one in another PID namespace, whose pid cannot be checked from here. */
export type Liveness = 'alive' | 'dead' | 'unknown'

/** This process, as it writes itself into its lock files (Linux fills every field; elsewhere only the pid). */
export const self: ProcessIdentity = readSelf()

function readSelf(): ProcessIdentity {
  const pid = process.pid
  const start = readStat(readText(`/proc/${pid}/stat`))?.start
  const boot = readText('/proc/sys/kernel/random/boot_id')?.trim()
  let pidns: string | undefined
  try {
    pidns = readlinkSync('/proc/self/ns/pid')
  } catch {
    pidns = undefined
  }
  return { pid, ...(start === undefined ? {} : { start }), ...(boot === undefined ? {} : { boot }), ...(pidns === undefined ? {} : { pidns }) }
}

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8')
  } catch {
    return undefined
  }
}

/**
 * The state letter and start time of a `/proc/<pid>/stat` line. The command name (field 2) is in
 * parentheses and may hold spaces and parentheses itself, so the fields are counted from the last `)`.
 */
function readStat(text: string | undefined): { state: string; start: string } | undefined {
  if (text === undefined) return undefined
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ')
  // After the name: field 3 (state) is fields[0], field 22 (starttime) is fields[19].
  const state = fields[0]
  const start = fields[19]
  return state === undefined || start === undefined ? undefined : { state, start }
}

/**
 * Whether the process `holder` names still runs, as far as this process can tell:
 * - of an earlier boot of this host: dead;
 * - in another PID namespace: unknown (its pid says nothing here);
 * - otherwise its pid must exist, not be a zombie, and (when recorded) have the same start time, so a
 *   pid reused by a newer process does not keep a dead holder's lock alive.
 * A lock file of tusd holds only a pid: the pid is all that is checked then, as tusd does.
 */
export function liveness(holder: ProcessIdentity): Liveness {
  // Not a process at all (kill(0) would even signal our own process group).
  if (!(Number.isSafeInteger(holder.pid) && holder.pid > 0)) return 'dead'
  if (holder.boot !== undefined && self.boot !== undefined && holder.boot !== self.boot) return 'dead'
  if (holder.pidns !== undefined && self.pidns !== undefined && holder.pidns !== self.pidns) return 'unknown'
  if (holder.pid === self.pid) return holder.start === undefined || holder.start === self.start ? 'alive' : 'dead'
  try {
    process.kill(holder.pid, 0)
  } catch (error) {
    // EPERM: the process exists but belongs to another user.
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return 'dead'
  }
  let stat: { state: string; start: string } | undefined
  try {
    // Synchronous: procfs is in memory, never a disk (see file-ops.ts for why it matters).
    stat = readStat(readFileSync(`/proc/${holder.pid}/stat`, 'utf8'))
  } catch {
    // No /proc (not Linux): the signal said it exists. On Linux the process ended meanwhile.
    return process.platform === 'linux' ? 'dead' : 'alive'
  }
  if (stat === undefined) return 'alive'
  // A zombie has exited; only its parent has not collected it yet.
  if (stat.state === 'Z' || stat.state === 'X') return 'dead'
  return holder.start === undefined || holder.start === stat.start ? 'alive' : 'dead'
}

// The boot time (seconds since the epoch, `btime` of /proc/stat), fixed for this boot of the host.
const bootSeconds = Number(/^btime (\d+)$/m.exec(readText('/proc/stat') ?? '')?.[1] ?? Number.NaN)

/**
 * A fence for a grant made now: microseconds on the host's monotonic clock, counted from the host's
 * boot time. Every process of the host reads the same clock, so a grant that follows another (after
 * its release, which follows its grant) reads a greater value without any shared counter file; the
 * boot time keeps fences growing across reboots. Without /proc, the wall clock in microseconds.
 * It stays a safe integer for centuries.
 */
export function fenceNow(): number {
  const micros = Number(process.hrtime.bigint() / 1000n)
  return Number.isFinite(bootSeconds) ? bootSeconds * 1_000_000 + micros : Date.now() * 1000 + (micros % 1000)
}
