import { stat } from 'node:fs/promises'
import type { Logger } from 'pino'
import type { GatewayOptions } from '../gateway.js'
import { FileHookBackend } from '../hooks/file-backend.js'
import type { HookCliOptions } from './hook-options.js'

/**
 * tusd's hooks as the flags ask for them: `--hooks-dir` (file hooks) wins over `--hooks-http`, as in
 * tusd; neither means no hooks (undefined). Throws an `Error` naming `--hooks-dir` when it is not a
 * directory that can be looked into.
 */
export async function hooksFromFlags(options: HookCliOptions, logger: Logger): Promise<GatewayOptions['tusdHooks']> {
  const common = { enabled: options.hooksEnabledEvents, progressIntervalMs: options.progressHooksInterval, maxQueuedPostHooks: options.hooksQueueSize }
  if (options.hooksDir !== undefined) {
    await checkHooksDirectory(options.hooksDir)
    if (options.hooksHttp !== undefined) logger.warn({ hooksDir: options.hooksDir }, '--hooks-dir wins over --hooks-http, as with tusd: HTTP hooks are not called')
    return { ...common, backend: new FileHookBackend({ directory: options.hooksDir, timeoutMs: options.hooksFileTimeout }) }
  }
  if (options.hooksHttp !== undefined) {
    // Loaded only for HTTP hooks: undici costs ~20 MiB of memory.
    const { HttpHookBackend } = await import('../hooks/http-backend.js')
    const backend = new HttpHookBackend({
      url: options.hooksHttp,
      attempts: options.hooksHttpRetry,
      backoffMs: options.hooksHttpBackoff,
      timeoutMs: options.hooksHttpTimeout,
      sizeLimit: options.hooksHttpSizeLimit,
      forwardHeaders: options.hooksHttpForwardHeaders,
      skipVerify: options.hooksHttpSkipVerify,
    })
    return { ...common, backend }
  }
  return undefined
}

/**
 * A hook whose file is missing is no hook (tusd), so a `--hooks-dir` that is missing or a file would turn every
 * hook off, and pre-create or pre-access checks would let everything through: the gateway refuses to start.
 * An existing directory without hook files is fine.
 */
async function checkHooksDirectory(directory: string): Promise<void> {
  let isDirectory: boolean
  try {
    isDirectory = (await stat(directory)).isDirectory()
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'ENOENT') throw new Error(`--hooks-dir ${directory}: no such directory`, { cause: error })
    if (code === 'ENOTDIR') throw new Error(`--hooks-dir ${directory}: not a directory`, { cause: error })
    throw new Error(`--hooks-dir ${directory}: cannot look into it (${(error as Error).message})`, { cause: error })
  }
  if (!isDirectory) throw new Error(`--hooks-dir ${directory}: not a directory`)
}
