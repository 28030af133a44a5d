import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

/** The built CLI; `npm test` builds it first (pretest), otherwise run `npm run build`. */
export const CLI = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url))

/** How a child process ended. */
export interface Exit {
  readonly code: number | null
  readonly signal: NodeJS.Signals | null
}

/** A gateway running as its own process (`node dist/cli/main.js`), for tests that need a real process. */
export interface GatewayProcess {
  readonly child: ChildProcess
  /** The pid of the node process running the gateway. */
  readonly pid: number
  /** The collection URL from the start-up line, e.g. `http://127.0.0.1:PORT/files/`. */
  readonly url: string
  readonly origin: string
  readonly port: number
  /** Everything written to stdout so far. */
  stdout(): string
  /** Everything written to stderr so far, split in lines. */
  stderrLines(): string[]
  /** Resolves with the first stderr line (past or future) matching `pattern`; rejects after `timeoutMs`. */
  waitForStderr(pattern: RegExp, timeoutMs?: number): Promise<string>
  /** Resolves when the process has exited. */
  readonly exited: Promise<Exit>
  /** SIGKILLs the process if it still runs, and waits for it to end. */
  stop(): Promise<Exit>
}

/** The result of a CLI run that ends by itself (`--help`, a bad flag). */
export interface CliRun extends Exit {
  readonly stdout: string
  readonly stderr: string
}

function assertBuilt(): void {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first`)
}

/** Environment for a child: ours, minus any RESUMABLE_GATEWAY_* a developer may have set, plus `env`. */
function childEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  const base = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('RESUMABLE_GATEWAY_')))
  return { ...base, ...env }
}

/** Runs the CLI to its end (for flags that make it exit), giving up after `timeoutMs`. */
export function runCli(args: string[], env: Record<string, string> = {}, timeoutMs = 15_000): Promise<CliRun> {
  assertBuilt()
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { env: childEnv(env), stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (text: string) => (stdout += text))
    child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text))
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`resumable-gateway ${args.join(' ')} did not exit within ${timeoutMs} ms; stderr: ${stderr}`))
    }, timeoutMs)
    child.once('error', reject)
    child.once('close', (code, signal) => {
      clearTimeout(timer)
      resolve({ code, signal, stdout, stderr })
    })
  })
}

/**
 * Starts `node dist/cli/main.js` with `args` (plus `--host 127.0.0.1 --port 0` unless the args or `env`
 * set them) and resolves once it printed its start-up line. Rejects if it exits first or takes longer
 * than `timeoutMs`. With `openFileLimit`, the process may open at most that many descriptors
 * (`ulimit -n`). `cli` runs another build's main.js than this one's. Callers must `stop()` it.
 */
export function spawnGateway(
  args: string[],
  options: { env?: Record<string, string>; timeoutMs?: number; openFileLimit?: number; nodeArguments?: string[]; cli?: string } = {},
): Promise<GatewayProcess> {
  assertBuilt()
  const cli = options.cli ?? CLI
  const env = options.env ?? {}
  const defaults: string[] = []
  if (!args.includes('--host') && env.RESUMABLE_GATEWAY_HOST === undefined) defaults.push('--host', '127.0.0.1')
  if (!args.includes('--port') && env.RESUMABLE_GATEWAY_PORT === undefined) defaults.push('--port', '0')
  const command = [process.execPath, ...(options.nodeArguments ?? []), cli, ...defaults, ...args]
  // `ulimit -n` in a shell that then becomes node (exec keeps the pid, so stop() still reaches it).
  const [file, ...argv] =
    options.openFileLimit === undefined ? command : ['/bin/sh', '-c', `ulimit -n ${options.openFileLimit} && exec "$@"`, 'sh', ...command]
  const child = spawn(file as string, argv, { env: childEnv(env), stdio: ['ignore', 'pipe', 'pipe'] })
  const exited = new Promise<Exit>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })))
  const lines: string[] = []
  const watchers = new Set<{ pattern: RegExp; resolve: (line: string) => void }>()
  let partial = ''
  child.stderr.setEncoding('utf8').on('data', (text: string) => {
    const parts = (partial + text).split('\n')
    partial = parts.pop() ?? ''
    for (const line of parts) {
      lines.push(line)
      for (const watcher of watchers) {
        if (watcher.pattern.test(line)) {
          watchers.delete(watcher)
          watcher.resolve(line)
        }
      }
    }
  })
  const stop = async (): Promise<Exit> => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
    return exited
  }
  let stdout = ''
  child.stdout.setEncoding('utf8').on('data', (text: string) => (stdout += text))
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      void stop()
      reject(new Error(`the gateway printed no start-up line within ${options.timeoutMs ?? 15_000} ms; stderr: ${lines.join('\n')}`))
    }, options.timeoutMs ?? 15_000)
    void exited.then((exit) => {
      clearTimeout(timer)
      reject(new Error(`the gateway exited (${exit.code ?? exit.signal}) before listening; stderr: ${lines.join('\n')}${partial}`))
    })
    const onStdout = (): void => {
      const match = /^resumable-gateway listening on (\S+)\n/.exec(stdout)
      if (match === null) return
      clearTimeout(timer)
      child.stdout.off('data', onStdout)
      const url = match[1] as string
      const parsed = new URL(url)
      resolve({
        child,
        pid: child.pid as number,
        url,
        origin: parsed.origin,
        port: Number(parsed.port),
        stdout: () => stdout,
        stderrLines: () => [...lines],
        waitForStderr(pattern, timeoutMs = 10_000) {
          const seen = lines.find((line) => pattern.test(line))
          if (seen !== undefined) return Promise.resolve(seen)
          return new Promise((resolveLine, rejectLine) => {
            const watcher = {
              pattern,
              resolve: (line: string) => {
                clearTimeout(lineTimer)
                resolveLine(line)
              },
            }
            const lineTimer = setTimeout(() => {
              watchers.delete(watcher)
              rejectLine(new Error(`no stderr line matched ${pattern} within ${timeoutMs} ms`))
            }, timeoutMs)
            watchers.add(watcher)
          })
        },
        exited,
        stop,
      })
    }
    child.stdout.on('data', onStdout)
  })
}

/** Waits up to `timeoutMs` for a process to exit; rejects (without killing it) if it does not. */
export async function exitWithin(gateway: GatewayProcess, timeoutMs: number): Promise<Exit> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`the gateway did not exit within ${timeoutMs} ms`)), timeoutMs)
  })
  try {
    return await Promise.race([gateway.exited, timeout])
  } finally {
    clearTimeout(timer)
  }
}
