import type { Logger } from 'pino'
import type { GatewayOptions } from '../gateway.js'
import { FileHookBackend } from '../hooks/file-backend.js'
import { HttpHookBackend } from '../hooks/http-backend.js'
import type { HookCliOptions } from './hook-options.js'

/**
 * tusd's hooks as the flags ask for them: `--hooks-dir` (file hooks) wins over `--hooks-http`, as in
 * tusd; neither means no hooks (undefined).
 */
export function hooksFromFlags(options: HookCliOptions, logger: Logger): GatewayOptions['tusdHooks'] {
  const common = { enabled: options.hooksEnabledEvents, progressIntervalMs: options.progressHooksInterval, maxQueuedPostHooks: options.hooksQueueSize }
  if (options.hooksDir !== undefined) {
    if (options.hooksHttp !== undefined) logger.warn({ hooksDir: options.hooksDir }, '--hooks-dir wins over --hooks-http, as with tusd: HTTP hooks are not called')
    return { ...common, backend: new FileHookBackend({ directory: options.hooksDir, timeoutMs: options.hooksFileTimeout }) }
  }
  if (options.hooksHttp !== undefined) {
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
