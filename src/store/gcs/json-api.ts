import type { IncomingMessage } from 'node:http'
import { setTimeout as sleep } from 'node:timers/promises'
import { isUnavailable } from './gcs-errors.js'

/** How often and how patiently a failed call is tried again (the SDK's `retryOptions`, in milliseconds). */
export interface RetryPolicy {
  /** Retries after the first attempt. */
  readonly maxRetries: number
  /** Longest pause between two attempts. */
  readonly maxDelayMs: number
  /** The pause grows by this factor per attempt, from 1 s (plus up to 1 s of jitter), as the SDK's does. */
  readonly multiplier: number
}

/** The pause before retry number `retry` (1, 2, ...). */
export function retryDelay(policy: RetryPolicy, retry: number): number {
  return Math.min(policy.maxDelayMs, 1000 * policy.multiplier ** (retry - 1) + Math.floor(Math.random() * 1000))
}

/** Resolves after `ms`, or rejects with `signal.reason` once it aborts. */
export async function pause(ms: number, signal: AbortSignal): Promise<void> {
  try {
    await sleep(ms, undefined, { signal })
  } catch {
    throw signal.reason
  }
}

/**
 * Runs `attempt` until it succeeds, fails for good (not `isUnavailable`), or the policy's retries are spent
 * (then throws the last failure); throws `signal.reason` once the signal aborts.
 */
export async function whileUnavailable<T>(policy: RetryPolicy, signal: AbortSignal, attempt: () => Promise<T>): Promise<T> {
  for (let retry = 1; ; retry++) {
    signal.throwIfAborted()
    try {
      return await attempt()
    } catch (error) {
      if (signal.aborted) throw signal.reason
      if (retry > policy.maxRetries || !isUnavailable(error)) throw error
    }
    await pause(retryDelay(policy, retry), signal)
  }
}

/** The JSON API's URL of object `name` in `bucket` (`<endpoint>/storage/v1/b/<bucket>/o/<name>`), `query` appended. */
export function objectUrl(where: { readonly endpoint: string; readonly bucket: string }, name: string, query = ''): string {
  return `${where.endpoint.replace(/\/+$/, '')}/storage/v1/b/${encodeURIComponent(where.bucket)}/o/${encodeURIComponent(name)}${query}`
}

/** The text of a short answer (an object resource, an error), once it has ended. */
export function responseText(response: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = []
    response.on('data', (part: Buffer) => parts.push(part))
    response.on('error', reject)
    response.once('end', () => resolve(Buffer.concat(parts).toString('utf8')))
  })
}
