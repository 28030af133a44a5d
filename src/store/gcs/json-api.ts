import http, { type ClientRequest } from 'node:http'
import https from 'node:https'
import { text } from 'node:stream/consumers'
import { setTimeout as sleep } from 'node:timers/promises'
import { beforeWrite } from '../../model/write-checks.js'
import { GcsRequestFailed, GcsTimeout, isUnavailable } from './gcs-errors.js'
import { objectInfo, type ObjectInfo } from './gcs-objects.js'

/** Where and how the store's own requests to the JSON API go (the SDK serves only for credentials). */
export interface JsonApi {
  /** The JSON API's origin: `https://storage.googleapis.com`, or an emulator's. */
  readonly endpoint: string
  readonly bucket: string
  /** Headers that authorize a request (none for an emulator without credentials). */
  headers(): Promise<Readonly<Record<string, string>>>
  readonly agent: http.Agent
  /** How long GCS may keep us waiting (for its answer, or to take more bytes) before the attempt is given up. */
  readonly timeoutMs: number
  readonly retry: RetryPolicy
}

/** How often and how patiently a failed call is tried again (as the SDK's `retryOptions` would; in milliseconds). */
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

/** The JSON API's URL of the bucket's objects (`<endpoint>/storage/v1/b/<bucket>/o`), or of object `name`, `tail` appended. */
export function objectUrl(api: Pick<JsonApi, 'endpoint' | 'bucket'>, name?: string, tail = ''): string {
  const objects = `${api.endpoint.replace(/\/+$/, '')}/storage/v1/b/${encodeURIComponent(api.bucket)}/o`
  return `${objects}${name === undefined ? '' : `/${encodeURIComponent(name)}`}${tail}`
}

/** A JSON API answer: its status and its parsed body (undefined when empty). */
export interface JsonAnswer {
  readonly status: number
  readonly json: Readonly<Record<string, unknown>> | undefined
}

/**
 * A JSON API request, `body` sent as JSON, tried again while GCS is unavailable; resolves with a 2xx answer
 * or one whose status is `expected` (e.g. 404). Throws `GcsRequestFailed` for any other status, `GcsTimeout`,
 * a socket error, or `signal.reason` (the request is aborted for real).
 */
export function jsonCall(api: JsonApi, method: string, url: string, signal: AbortSignal, options: { readonly body?: unknown; readonly expected?: number } = {}): Promise<JsonAnswer> {
  return whileUnavailable(api.retry, signal, () => jsonCallOnce(api, method, url, signal, options))
}

async function jsonCallOnce(api: JsonApi, method: string, url: string, signal: AbortSignal, options: { readonly body?: unknown; readonly expected?: number }): Promise<JsonAnswer> {
  const payload = options.body === undefined ? undefined : JSON.stringify(options.body)
  const headers = {
    ...(await api.headers()),
    ...(payload === undefined ? {} : { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(payload)) }),
  }
  return new Promise<JsonAnswer>((resolve, reject) => {
    const request = openRequest(api, method, url, headers, signal)
    request.setTimeout(api.timeoutMs, () => request.destroy(new GcsTimeout(api.timeoutMs)))
    request.on('error', reject)
    request.once('response', (response) => {
      text(response)
        .then((body) => {
          const status = response.statusCode ?? 0
          if ((status < 200 || status >= 300) && status !== options.expected) throw new GcsRequestFailed(status, body)
          return { status, json: body === '' ? undefined : (JSON.parse(body) as Record<string, unknown>) }
        })
        .then(resolve, reject)
    })
    request.end(payload)
  })
}

/** Object `name` as it is now (its resource), or undefined if there is none. */
export async function statObject(api: JsonApi, name: string, signal: AbortSignal): Promise<ObjectInfo | undefined> {
  const { status, json } = await jsonCall(api, 'GET', objectUrl(api, name), signal, { expected: 404 })
  return status === 404 ? undefined : objectInfo(json ?? {})
}

/** A request to the JSON API over the store's agent, aborted for real by `signal`; the caller ends it. */
export function openRequest(api: JsonApi, method: string, url: string, headers: Readonly<Record<string, string>>, signal: AbortSignal): ClientRequest {
  // A lease found lost aborts `signal` here, and the request is not sent (see `beforeWrite`).
  beforeWrite()
  return (url.startsWith('https:') ? https : http).request(url, { method, agent: api.agent, headers, signal })
}
