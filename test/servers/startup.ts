import { existsSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { logTail, spawnDaemon, stopDaemons, type Daemon } from './daemon.js'

/** Thrown when a test server does not start; the message carries the ends of its logs. */
export class ServerStartError extends Error {}

/**
 * One attempt at starting a server: owns a fresh temporary directory and every daemon spawned into it,
 * so that a failure half-way can stop what already runs and remove the directory ({@link abandon}).
 */
export class Startup {
  readonly daemons: Daemon[] = []
  /** Log files written by the daemons themselves (besides their stdout/stderr), shown when start-up fails. */
  readonly logs: string[] = []

  private constructor(
    readonly server: string,
    readonly dir: string,
  ) {}

  /** Makes the temporary directory `$TMPDIR/rg-<server>-XXXXXX`. */
  static async begin(server: string): Promise<Startup> {
    return new Startup(server, await mkdtemp(join(tmpdir(), `rg-${server}-`)))
  }

  /** Spawns a daemon whose stdout and stderr go to `<dir>/<name>.out`; see {@link spawnDaemon}. */
  spawn(name: string, command: string, args: readonly string[], env?: Record<string, string>): Daemon {
    const daemon = spawnDaemon(name, command, args, { logFile: join(this.dir, `${name}.out`), cwd: this.dir, env })
    this.daemons.push(daemon)
    return daemon
  }

  /**
   * Stops every daemon (last started first), removes the directory and throws a {@link ServerStartError}
   * with `error`'s message and the end of every log, so the test's failure says why.
   */
  async abandon(error: unknown): Promise<never> {
    await stopDaemons(this.daemons, 1_000)
    const reason = message(error)
    const sections = [...this.daemons.map((daemon) => daemon.logFile), ...this.logs]
      .filter((file) => existsSync(file))
      .map((file) => ({ file, tail: logTail(file) }))
      .filter(({ tail }) => tail !== '' && !reason.includes(tail))
      .map(({ file, tail }) => `--- ${file}\n${tail}`)
    await rm(this.dir, { recursive: true, force: true })
    throw new ServerStartError([`${this.server} did not start: ${reason}`, ...sections].join('\n'), { cause: error })
  }

  /** Stops every daemon (last started first, SIGTERM then SIGKILL after `graceMs`) and removes the directory. */
  async finish(graceMs?: number): Promise<void> {
    await stopDaemons(this.daemons, graceMs)
    await rm(this.dir, { recursive: true, force: true })
  }
}

/**
 * Calls `attempt` and, if it throws, once more: a port taken between {@link freePort} and the bind, or a
 * daemon's start-up race, should not fail a test. Each attempt must clean up after itself when it fails
 * (see {@link Startup.abandon}). Throws a {@link ServerStartError} with both failures.
 */
export async function startWithRetry<T>(server: string, attempt: () => Promise<T>): Promise<T> {
  try {
    return await attempt()
  } catch (first) {
    // Said out loud, so that a start that only works the second time is noticed in the test output.
    console.warn(`${server}: the first start failed, trying once more: ${message(first)}`)
    try {
      return await attempt()
    } catch (second) {
      throw new ServerStartError(`${server} failed to start twice.\nFirst attempt: ${message(first)}\nSecond attempt: ${message(second)}`, {
        cause: second,
      })
    }
  }
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}
