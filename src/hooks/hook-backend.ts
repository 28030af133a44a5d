import type { HookRequest } from './hook-request.js'
import type { HookResponse } from './hook-response.js'

/** One call of a hook, as a backend gets it. */
export interface HookCall {
  readonly request: HookRequest
  /** `request` as tusd's JSON (encoded once, byte for byte what tusd sends). */
  readonly body: string
  /** Aborts when nobody waits for the answer any more: the request went away (pre-hooks), shutdown (post-hooks). */
  readonly signal: AbortSignal
}

/**
 * A way to reach hooks (tusd's `hooks.HookHandler`): HTTP (`HttpHookBackend`), files (`FileHookBackend`),
 * or one of your own. `invoke` resolves with the hook's answer (tusd's zero answer when the hook has nothing
 * to say) and rejects when the hook failed: unreachable, timed out, a refusal of the transport (non-2xx,
 * non-zero exit), an answer that is not tusd's JSON. The rejection's message goes to the log only.
 */
export interface HookBackend {
  /** For the start-up log: where hooks go. */
  readonly description: string
  invoke(call: HookCall): Promise<HookResponse>
  /** Frees what the backend holds (connections). */
  close?(): Promise<void>
}

/** A hook's transport refused or garbled the call (the hook failed). */
export class HookCallFailed extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'HookCallFailed'
  }
}

/** Resolves after `ms`, or rejects with the signal's reason once it aborts. */
export function delay(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(signal.reason as Error)
      return
    }
    const onAbort = (): void => {
      clearTimeout(timer)
      reject(signal.reason as Error)
    }
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort)
      resolve()
    }, ms)
    signal.addEventListener('abort', onAbort, { once: true })
  })
}
