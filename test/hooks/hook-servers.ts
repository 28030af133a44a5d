import { spawn, type ChildProcess } from 'node:child_process'
import { readFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'

/** The runnable example of the README: the hook server these tests talk to. */
export const EXAMPLE_HOOK_SERVER = fileURLToPath(new URL('../../examples/hooks/http/server.py', import.meta.url))
/** A hook server that misbehaves on purpose (slow, garbage, 5xx). */
export const MISBEHAVING_HOOK_SERVER = fileURLToPath(new URL('./servers/misbehaving.py', import.meta.url))

/** A Python hook server in its own process, on a free loopback port. */
export interface PythonHookServer {
  readonly url: string
  readonly child: ChildProcess
  /** Everything it printed on stdout so far. */
  stdout(): string
  stop(): Promise<void>
}

/** Starts `python3 <script> --port 0 ...args` and resolves once it printed the URL it listens on. */
export function startPythonHookServer(script: string, args: string[] = []): Promise<PythonHookServer> {
  const child = spawn('python3', ['-u', script, '--host', '127.0.0.1', '--port', '0', ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text))
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
    await exited
  }
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      void stop()
      reject(new Error(`${script} did not start within 10 s; stderr: ${stderr}`))
    }, 10_000)
    child.once('error', reject)
    void exited.then(() => reject(new Error(`${script} exited before listening; stderr: ${stderr}`)))
    child.stdout.setEncoding('utf8').on('data', (text: string) => {
      stdout += text
      const match = /listening on (http:\/\/\S+)/.exec(stdout)
      if (match !== null) {
        clearTimeout(timer)
        resolve({ url: match[1] as string, child, stdout: () => stdout, stop })
      }
    })
  })
}

/** One hook request as the server received it: the raw JSON text and its parsed form. */
export interface RecordedHook {
  readonly raw: string
  readonly Type: string
  readonly Event: {
    readonly Upload: {
      readonly ID: string
      readonly Size: number
      readonly SizeIsDeferred: boolean
      readonly Offset: number
      readonly MetaData: Record<string, string>
      readonly IsPartial: boolean
      readonly IsFinal: boolean
      readonly PartialUploads: string[] | null
      readonly Storage: Record<string, string> | null
    }
    readonly HTTPRequest: { readonly Method: string; readonly URI: string; readonly RemoteAddr: string; readonly Header: Record<string, string[]> }
    readonly Action?: string
  }
}

/** The hook requests a server recorded (`--record FILE`), in the order it received them. */
export async function recordedHooks(file: string): Promise<RecordedHook[]> {
  const text = await readFile(file, 'utf8').catch(() => '')
  return text
    .split('\n')
    .filter((line) => line !== '')
    .map((raw) => ({ raw, ...(JSON.parse(raw) as Omit<RecordedHook, 'raw'>) }))
}
