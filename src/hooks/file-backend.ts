import { spawn } from 'node:child_process'
import { stat } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { HookCallFailed, type HookBackend, type HookCall } from './hook-backend.js'
import { EMPTY_HOOK_RESPONSE, parseHookResponse, type HookResponse } from './hook-response.js'

/** tusd's `-hooks-dir`, and a timeout of ours. */
export interface FileHookOptions {
  /** The directory holding one executable per hook event, named after it (`pre-create`, `post-finish`, ...). */
  readonly directory: string
  /** How long a hook may run before it is killed and counts as failed (default 30 s; tusd has no limit). */
  readonly timeoutMs?: number
}

// A hook's answer is small JSON; more output than this is a runaway script, not an answer.
const MAX_OUTPUT = 1024 * 1024

/**
 * tusd's file hooks: `<directory>/<event>` runs with no arguments, in the directory, with the JSON on
 * stdin and the gateway's environment plus `TUS_ID`, `TUS_SIZE`, `TUS_OFFSET`; its stderr goes to the
 * gateway's stderr, its stdout is the answer (nothing: an empty answer). A missing file is no hook (tusd).
 * A non-zero exit, output that is not tusd's JSON, or running past `timeoutMs` (the script and what it
 * started are killed) fails the hook.
 */
export class FileHookBackend implements HookBackend {
  readonly description: string
  readonly #directory: string
  readonly #timeoutMs: number

  constructor(options: FileHookOptions) {
    // Absolute once, as tusd makes it: a hook runs in the directory, whatever the gateway's cwd becomes.
    this.#directory = resolve(options.directory)
    this.#timeoutMs = options.timeoutMs ?? 30_000
    this.description = `file hooks in ${this.#directory}`
  }

  async invoke(call: HookCall): Promise<HookResponse> {
    const path = join(this.#directory, call.request.Type)
    try {
      await stat(path)
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return EMPTY_HOOK_RESPONSE
      throw error
    }
    const { Upload: upload } = call.request.Event
    const env = { ...process.env, TUS_ID: upload.ID, TUS_SIZE: String(upload.Size), TUS_OFFSET: String(upload.Offset) }
    const { code, signal, output } = await this.#run(path, env, call)
    if (signal !== null) throw new HookCallFailed(`hook ${path} was killed by ${signal}`)
    if (code !== 0) throw new HookCallFailed(`unexpected return code ${code} from hook endpoint: ${output.slice(0, 500)}`)
    // tusd parses any output; output of only white space is taken as none here (tusd fails on it).
    if (output.trim() === '') return EMPTY_HOOK_RESPONSE
    try {
      return parseHookResponse(output)
    } catch (error) {
      throw new HookCallFailed(`${(error as Error).message}, response was: ${output.slice(0, 500)}`, { cause: error })
    }
  }

  #run(path: string, env: NodeJS.ProcessEnv, call: HookCall): Promise<{ code: number | null; signal: NodeJS.Signals | null; output: string }> {
    return new Promise((resolvePromise, reject) => {
      // Its own process group, so that a timeout kills what the script started too (a `sleep` in a shell script).
      const child = spawn(path, [], { cwd: this.#directory, env, stdio: ['pipe', 'pipe', 'inherit'], detached: true })
      const chunks: Buffer[] = []
      let size = 0
      let failure: Error | undefined
      const kill = (why: Error): void => {
        failure ??= why
        try {
          if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL')
        } catch {
          // The group is gone already.
        }
      }
      const timer = setTimeout(() => kill(new HookCallFailed(`hook ${path} did not finish within ${this.#timeoutMs} ms`)), this.#timeoutMs)
      const onAbort = (): void => kill(call.signal.reason as Error)
      // The caller may have given up while the file was looked up.
      if (call.signal.aborted) onAbort()
      else call.signal.addEventListener('abort', onAbort, { once: true })
      child.stdout.on('data', (chunk: Buffer) => {
        size += chunk.byteLength
        if (size > MAX_OUTPUT) kill(new HookCallFailed(`hook ${path} wrote more than ${MAX_OUTPUT} bytes`))
        else chunks.push(chunk)
      })
      // A script that does not read its stdin (or exits early) closes it: not an error of ours.
      child.stdin.on('error', () => {})
      child.stdin.end(call.body)
      child.once('error', (error) => {
        clearTimeout(timer)
        call.signal.removeEventListener('abort', onAbort)
        reject(new HookCallFailed(`hook ${path} could not be run: ${error.message}`, { cause: error }))
      })
      child.once('close', (code, signal) => {
        clearTimeout(timer)
        call.signal.removeEventListener('abort', onAbort)
        if (failure !== undefined) reject(failure)
        else resolvePromise({ code, signal, output: Buffer.concat(chunks).toString('utf8') })
      })
    })
  }
}
