import { spawn, execFile, type ChildProcess } from 'node:child_process'
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs'

/** How a process ended. */
export interface Exit {
  readonly code: number | null
  readonly signal: NodeJS.Signals | null
}

/** A long-running server process started by a test, its stdout and stderr going to `logFile`. */
export interface Daemon {
  /** A short name for messages, e.g. `ceph-mon`. */
  readonly name: string
  readonly pid: number
  /** Where the process's stdout and stderr go (appended). */
  readonly logFile: string
  /** Resolves once the process has ended (never rejects). */
  readonly exited: Promise<Exit>
  /** The exit, once the process has ended; undefined while it runs. */
  exit(): Exit | undefined
  /**
   * Sends SIGTERM, then SIGKILL if the process still runs after `graceMs`, and resolves once it has
   * ended. A stopped (SIGSTOPped) process is continued so that it can handle the SIGTERM. Idempotent.
   */
  stop(graceMs?: number): Promise<Exit>
  /** Sends a signal (e.g. SIGSTOP / SIGCONT); does nothing once the process has ended. */
  signal(signal: NodeJS.Signals): void
}

/** What {@link spawnDaemon} needs besides the command. */
export interface DaemonOptions {
  readonly logFile: string
  readonly cwd?: string
  /** Added to (and overriding) this process's environment. */
  readonly env?: Record<string, string>
}

// Every daemon still running when this process exits is SIGKILLed: a test file that fails between
// start and stop, or a worker that exits early, leaves nothing behind.
const running = new Set<ChildProcess>()
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL')
})

// setpriv (util-linux, essential on Debian) execs the command with PR_SET_PDEATHSIG, keeping its pid:
// the kernel kills the daemon even when this process dies by SIGKILL, where no 'exit' handler runs.
const setpriv = ['/usr/bin/setpriv', '/bin/setpriv'].find((path) => existsSync(path))

/**
 * Starts `command` with `args` as a daemon whose stdout and stderr are appended to `options.logFile`.
 * It ends with this process at the latest (see above). Throws if the process cannot be spawned at all;
 * a command that is not found makes the daemon exit with code 127 (its log says why).
 */
export function spawnDaemon(name: string, command: string, args: readonly string[], options: DaemonOptions): Daemon {
  const log = openSync(options.logFile, 'a')
  let child: ChildProcess
  try {
    const [file, argv] = setpriv === undefined ? [command, args] : [setpriv, ['--pdeathsig', 'SIGKILL', '--', command, ...args]]
    child = spawn(file, argv, {
      cwd: options.cwd,
      env: { ...process.env, ...options.env },
      stdio: ['ignore', log, log],
    })
  } finally {
    closeSync(log)
  }
  if (child.pid === undefined) throw new Error(`${name}: could not spawn ${command}`)
  const pid = child.pid
  running.add(child)
  let ended: Exit | undefined
  const exited = new Promise<Exit>((resolve) => {
    child.once('exit', (code, signal) => {
      running.delete(child)
      ended = { code, signal }
      resolve(ended)
    })
  })
  // Spawn errors after the pid was assigned (rare) end in 'exit' too; without a listener they would throw.
  child.on('error', () => {})
  const signal = (sig: NodeJS.Signals): void => {
    if (ended === undefined) child.kill(sig)
  }
  return {
    name,
    pid,
    logFile: options.logFile,
    exited,
    exit: () => ended,
    signal,
    async stop(graceMs = 3_000) {
      if (ended !== undefined) return ended
      signal('SIGTERM')
      signal('SIGCONT')
      const timer = setTimeout(() => signal('SIGKILL'), graceMs)
      try {
        return await exited
      } finally {
        clearTimeout(timer)
      }
    },
  }
}

/** Stops daemons one after the other, last started first (a client before the server it talks to). */
export async function stopDaemons(daemons: readonly Daemon[], graceMs?: number): Promise<void> {
  for (const daemon of [...daemons].reverse()) await daemon.stop(graceMs)
}

/** Thrown by {@link runCommand} when the command fails, exits non-zero or times out. */
export class CommandFailed extends Error {
  constructor(
    readonly command: string,
    readonly stdout: string,
    readonly stderr: string,
    options: { cause: unknown },
  ) {
    super(`${command} failed: ${describe(options.cause)}\n${lastLines(`${stderr}\n${stdout}`.trim(), 20)}`, options)
  }
}

/**
 * Runs a command to its end and resolves with its stdout. It is SIGKILLed after `timeoutMs`.
 * Throws {@link CommandFailed} (with its output) when it cannot run, exits non-zero or times out.
 */
export function runCommand(command: string, args: readonly string[], timeoutMs = 15_000): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: 16 << 20 }, (error, stdout, stderr) => {
      if (error === null) resolve(stdout)
      else reject(new CommandFailed([command, ...args].join(' '), stdout, stderr, { cause: error }))
    })
  })
}

/** The last `count` lines of a log file, or a note saying it could not be read. */
export function logTail(file: string, count = 30): string {
  try {
    return lastLines(readFileSync(file, 'utf8').trimEnd(), count)
  } catch (error) {
    return `(${file} unreadable: ${describe(error)})`
  }
}

function lastLines(text: string, count: number): string {
  return text.split('\n').slice(-count).join('\n')
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}
