import { channel } from 'node:diagnostics_channel'
import type { RequestInfo } from '../model/request-info.js'
import type { Upload } from '../model/upload.js'
import type { DeliverySummary } from './delivery.js'

/**
 * Something that happened to an upload, for logs, metrics, post-hooks and library users. `request` is
 * the request that caused it, when one did (expiry and background completion have none).
 */
export type LifecycleEvent =
  | { readonly type: 'created'; readonly upload: Upload; readonly request?: RequestInfo }
  /** While a body streams, every progress interval in which the offset grew; `upload.offset` counts the bytes handed to the store. */
  | { readonly type: 'progress'; readonly upload: Upload; readonly request?: RequestInfo }
  /** An append ended with its bytes kept for good; `bytes` of them. */
  | { readonly type: 'received'; readonly upload: Upload; readonly bytes: number; readonly request?: RequestInfo }
  /**
   * Every byte is there (and the client said so, where it does). An upload with a target (upstream mode) is
   * finished once its target has answered the delivery: `delivery` says what it answered.
   */
  | { readonly type: 'finished'; readonly upload: Upload; readonly request?: RequestInfo; readonly delivery?: DeliverySummary }
  /** An append stopped early; `bytes` were kept; `reason` is the core error code that explains it. */
  | { readonly type: 'interrupted'; readonly upload: Upload; readonly bytes: number; readonly reason: string; readonly request?: RequestInfo }
  | { readonly type: 'terminated'; readonly upload: Upload; readonly request?: RequestInfo }
  /** An upload expired and was removed; `upload` is its last state (`offset`: the bytes freed). */
  | { readonly type: 'expired'; readonly upload: Upload }

/** Receives lifecycle events. It is called synchronously and must return quickly: queue slow work (a returned promise is not awaited). */
export type LifecycleListener = (event: LifecycleEvent) => void | Promise<void>

/** The `diagnostics_channel` every lifecycle event is published on, for library users and APMs. */
export const UPLOAD_EVENTS_CHANNEL = 'resumable-gateway:upload'

const diagnostics = channel(UPLOAD_EVENTS_CHANNEL)

/**
 * Fans lifecycle events out to subscribers (logs, metrics, post-hooks) and to `diagnostics_channel`.
 * A subscriber that throws (or whose promise rejects) is reported to `onListenerError` and never
 * disturbs the request that caused the event, nor the other subscribers.
 */
export class UploadEvents {
  readonly #listeners = new Set<LifecycleListener>()
  readonly #onListenerError: (error: unknown, event: LifecycleEvent) => void

  constructor(onListenerError: (error: unknown, event: LifecycleEvent) => void = () => {}) {
    this.#onListenerError = onListenerError
  }

  /** Adds a subscriber; returns a function that removes it. */
  subscribe(listener: LifecycleListener): () => void {
    this.#listeners.add(listener)
    return () => this.#listeners.delete(listener)
  }

  publish(event: LifecycleEvent): void {
    for (const listener of this.#listeners) {
      try {
        const returned = listener(event)
        if (returned !== undefined) returned.catch((error: unknown) => this.#reportError(error, event))
      } catch (error) {
        this.#reportError(error, event)
      }
    }
    if (diagnostics.hasSubscribers) diagnostics.publish(event)
  }

  #reportError(error: unknown, event: LifecycleEvent): void {
    try {
      this.#onListenerError(error, event)
    } catch {
      // The error reporter itself failed: nothing else can be done without disturbing the request.
    }
  }
}
