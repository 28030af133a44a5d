import type { Readable } from 'node:stream'
import { setTimeout as sleep } from 'node:timers/promises'
import { request, type Dispatcher } from 'undici'
import type { DeliveryResponse, UploadDelivery } from '../core/delivery.js'
import { eitherSignal } from '../model/either-signal.js'
import { answerHeaders } from '../protocol/http/upload-target.js'
import { DeliveryFailed } from '../model/errors.js'
import type { RequestInfo } from '../model/request-info.js'
import type { Upload, UploadTarget } from '../model/upload.js'
import { forwardingHeaders, withoutForwarding } from './forwarding.js'
import { Slots } from './slots.js'
import { upstreamUrl, type UpstreamOptions } from './upstream-options.js'
import { isTimeout, isUnreachable, responseHeaders } from './undici-errors.js'

/** One try's outcome: the application's final answer, or why there was none. */
type Attempt =
  | { readonly kind: 'answer'; readonly status: number; readonly headers: Record<string, string | string[]>; readonly body: Readable }
  | { readonly kind: 'unreachable'; readonly cause: unknown }

/**
 * Delivers complete uploads to the application as one ordinary request each (the `UploadDelivery` port, with
 * undici): the creation's method, path and query and end-to-end headers, `Content-Length` of the whole upload,
 * the bytes streamed from the store, the forwarding headers, and `Idempotency-Key` naming the upload. An
 * application that cannot be reached, or answers with a 5xx, is tried again `retries` times (the body read
 * afresh each time); at most `maxDeliveries` run at once. Exactly-once is not promised: the key lets the
 * application recognise a repeated delivery.
 */
export class HttpDelivery implements UploadDelivery {
  readonly #options: UpstreamOptions
  readonly #dispatcher: Dispatcher
  readonly #slots: Slots
  /** Aborts every delivery under way (shutdown). */
  readonly #closing: AbortSignal

  constructor(options: UpstreamOptions, dispatcher: Dispatcher, closing: AbortSignal) {
    this.#options = options
    this.#dispatcher = dispatcher
    this.#slots = new Slots(options.maxDeliveries)
    this.#closing = closing
  }

  async deliver(upload: Upload, read: (signal: AbortSignal) => Promise<Readable>, request: RequestInfo | undefined, signal: AbortSignal): Promise<DeliveryResponse> {
    const { target } = upload
    if (target === undefined || upload.length === undefined) throw new TypeError(`upload ${upload.id} has no target or no length to deliver`)
    const { timeoutMs } = this.#options
    // Linked until the application's answer is read (a shutdown past its timeout cuts it), or the delivery fails.
    const stopping = eitherSignal(signal, this.#closing)
    const stop = stopping.signal
    let answered = false
    try {
      if (!(await this.#slots.take(timeoutMs, stop))) throw new DeliveryFailed('busy', 0)
      const response = await this.#deliver(upload, target, read, request, stop)
      response.body.once('close', stopping.unlink)
      answered = true
      return response
    } finally {
      if (!answered) stopping.unlink()
    }
  }

  async #deliver(upload: Upload, target: UploadTarget, read: (signal: AbortSignal) => Promise<Readable>, request: RequestInfo | undefined, stop: AbortSignal): Promise<DeliveryResponse> {
    const { logger, retries, retryDelayMs } = this.#options
    const started = performance.now()
    const log = { uploadId: upload.id, requestId: request?.requestId, method: target.method, uri: target.uri, bytes: upload.length }
    try {
      let last: Attempt | undefined
      for (let attempt = 1; attempt <= retries + 1; attempt++) {
        // The pause ends with an AbortError when `stop` aborts: what stopped it (a shutdown, a lost lock) is its reason.
        if (attempt > 1) await sleep(retryDelayMs * 2 ** (attempt - 2), undefined, { signal: stop }).catch(() => Promise.reject(stop.reason))
        try {
          last = await this.#attempt(upload, target, read, stop)
        } catch (error) {
          if (stop.aborted) throw stop.reason
          if (isTimeout(error)) {
            // The application may be working on it: trying again would only pile up work. 504, the upload kept.
            logger.warn({ ...log, event: 'delivery-failed', attempt, reason: 'timeout', err: error }, 'delivery timed out')
            throw new DeliveryFailed('timeout', attempt, undefined, { cause: error })
          }
          throw error
        }
        if (last.kind === 'answer' && last.status < 500) {
          const durationMs = Math.round(performance.now() - started)
          logger.info({ ...log, event: 'delivered', status: last.status, attempts: attempt, durationMs }, 'upload delivered')
          const { body } = last
          return { status: last.status, headers: last.headers, body, attempts: attempt, discard: () => discard(body) }
        }
        const reason = last.kind === 'answer' ? { status: last.status } : { err: last.cause }
        logger.warn({ ...log, event: 'delivery-failed', attempt, ...reason }, 'delivery attempt failed')
      }
      if (last?.kind === 'answer') throw new DeliveryFailed('error-status', retries + 1, last.status)
      throw new DeliveryFailed('unreachable', retries + 1, undefined, { cause: last?.cause })
    } finally {
      this.#slots.release()
    }
  }

  async #attempt(upload: Upload, target: UploadTarget, read: (signal: AbortSignal) => Promise<Readable>, signal: AbortSignal): Promise<Attempt> {
    const body = await read(signal)
    const { timeoutMs, trustForwarded, url } = this.#options
    try {
      const response = await request(upstreamUrl(url, target.uri), {
        dispatcher: this.#dispatcher,
        method: target.method as Dispatcher.HttpMethod,
        headers: {
          ...withoutForwarding(target.headers),
          ...forwardingHeaders(target.headers, target, trustForwarded),
          'content-length': String(upload.length),
          // draft-ietf-httpapi-idempotency-key-header: an sf-string; the same for every delivery of this upload.
          'idempotency-key': `"${upload.id}"`,
        },
        body,
        signal,
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
      })
      if (response.statusCode >= 500) discard(response.body)
      // End-to-end fields only (DeliveryResponse): the hop-by-hop ones were for the gateway's connection.
      return { kind: 'answer', status: response.statusCode, headers: answerHeaders(responseHeaders(response.headers)), body: response.body }
    } catch (error) {
      body.destroy()
      if (isUnreachable(error)) return { kind: 'unreachable', cause: error }
      throw error
    }
  }
}

/** Reads a body to its end and drops it, so the connection can be used again; its errors do not matter. */
export function discard(body: Readable): void {
  body.on('error', () => {})
  body.resume()
}
