import { accessSync, constants } from 'node:fs'
import { delimiter, join } from 'node:path'
import { afterAll, beforeAll, describe, it } from 'vitest'

/** A server started by a test; `stop()` ends every process it started and removes its temp directory. */
export interface TestServer {
  stop(): Promise<void>
}

/** A kind of test server: whether it can run on this machine, and how to start one. */
export interface ServerKind<S extends TestServer> {
  /** Its name in test titles, e.g. `radosgw`. */
  readonly name: string
  /** Why it cannot run here (e.g. `radosgw not installed (apt-get install ...)`), or undefined if it can. */
  unavailable(): string | undefined
  /** Starts a fresh instance on free loopback ports with its own temp directory. */
  start(): Promise<S>
}

/** Start-up may retry once and the machine may be busy with other test files: allow for both. */
const START_TIMEOUT_MS = 90_000
const STOP_TIMEOUT_MS = 20_000

/** The names among `commands` that are not executable files on $PATH. */
export function missingCommands(commands: readonly string[]): string[] {
  const dirs = (process.env.PATH ?? '').split(delimiter).filter((dir) => dir !== '')
  return commands.filter((command) => !dirs.some((dir) => isExecutable(join(dir, command))))
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK)
    return true
  } catch {
    return false
  }
}

/**
 * `describe(title, ...)` around tests that need a server of `kind`: one instance is started in
 * `beforeAll` and stopped in `afterAll`; the tests reach it through `server()` (which throws if the start
 * failed). When the server cannot run here, a single skipped test titled `needs <name>: <reason>` is
 * registered instead (`describeUnavailable`).
 */
export function describeWithServer<S extends TestServer>(title: string, kind: ServerKind<S>, body: (server: () => S) => void): void {
  const reason = kind.unavailable()
  if (reason !== undefined) {
    describeUnavailable(title, kind.name, reason)
    return
  }
  describe(title, () => {
    let current: S | undefined
    beforeAll(async () => {
      current = await kind.start()
    }, START_TIMEOUT_MS)
    afterAll(async () => {
      await current?.stop()
    }, STOP_TIMEOUT_MS)
    body(() => {
      if (current === undefined) throw new Error(`${kind.name} is not running: its start in beforeAll failed`)
      return current
    })
  })
}

/**
 * What stands in for the tests of `title` when `name` (a server, a program) cannot run here: one test titled
 * `needs <name>: <reason>`, skipped, so the report says what is missing; with `REQUIRE_TEST_SERVERS=1` (set by
 * `.ci/run`, which installs everything) it fails instead, so a broken CI install cannot hide behind skips.
 */
export function describeUnavailable(title: string, name: string, reason: string): void {
  describe(title, () => {
    const test = `needs ${name}: ${reason}`
    if (process.env.REQUIRE_TEST_SERVERS === '1') {
      it(test, () => {
        throw new Error(`${name} is required here (REQUIRE_TEST_SERVERS=1) but cannot run: ${reason}`)
      })
    } else {
      it.skip(test, () => {})
    }
  })
}
