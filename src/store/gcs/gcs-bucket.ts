import { setMaxListeners } from 'node:events'
import type { Readable } from 'node:stream'
import { text } from 'node:stream/consumers'
import type { ByteRange } from '../../model/upload.js'
import { Semaphore } from '../semaphore.js'
import { isNotFound } from './gcs-errors.js'
import { objectInfo, type ObjectInfo } from './gcs-objects.js'
import { jsonCall, objectUrl, statObject, type JsonApi } from './json-api.js'
import { readObject } from './object-read.js'
import { uploadObject, type UploadOptions } from './object-upload.js'

// A listing page as large as GCS gives: one request lists an upload of up to a thousand chunks.
const PAGE_SIZE = 1000

// Deletes in flight at once when many objects go (the chunks of finished uploads), across all uploads, so that
// GCS's request rate stays flat however many uploads finish at once (per upload, 100 finishing together would
// have had 800 deletes in flight).
const PARALLEL_DELETES = 8

/** What a compose sets on its destination. */
export interface ComposeInit {
  readonly contentType?: string
  /** Custom metadata (string values, at most 8 KiB in all, as GCS takes them). */
  readonly metadata?: Readonly<Record<string, string>>
}

/**
 * The calls the GCS store makes, on one bucket: listing, reading, deleting and composing objects, each one
 * plain JSON API request per attempt (json-api.ts: retried while GCS is unavailable, within the request
 * timeout, aborted for real by the call's signal), and writing objects with `PieceUpload` (object-upload.ts).
 * `@google-cloud/storage` only provides the credentials (`api.headers`): through the SDK each call built a
 * `File` and its request objects, which put a gateway finishing 8 uploads of 256 MiB (256 chunk deletes) at
 * ~13 MiB more peak memory, and its download stream at ~10 MiB more (test/gcs/memory.slow.test.ts).
 */
export class GcsBucket {
  readonly #deletes = new Semaphore(PARALLEL_DELETES)

  constructor(readonly api: JsonApi) {}

  get name(): string {
    return this.api.bucket
  }

  /** Every object whose name starts with `prefix`, in name order, a page at a time (`delimiter`: not below it). */
  async *list(prefix: string, signal: AbortSignal, delimiter?: string): AsyncGenerator<ObjectInfo> {
    let pageToken: string | undefined
    do {
      const query = new URLSearchParams({ prefix, maxResults: String(PAGE_SIZE) })
      if (delimiter !== undefined) query.set('delimiter', delimiter)
      if (pageToken !== undefined) query.set('pageToken', pageToken)
      const { json } = await jsonCall(this.api, 'GET', objectUrl(this.api, undefined, `?${query}`), signal)
      const items = json?.['items']
      for (const item of Array.isArray(items) ? items : []) yield objectInfo(item as Record<string, unknown>)
      const next = json?.['nextPageToken']
      pageToken = typeof next === 'string' && next !== '' ? next : undefined
    } while (pageToken !== undefined)
  }

  /** Every object whose name starts with `prefix`. */
  async listAll(prefix: string, signal: AbortSignal): Promise<ObjectInfo[]> {
    const objects: ObjectInfo[] = []
    for await (const object of this.list(prefix, signal)) objects.push(object)
    return objects
  }

  /** The text of object `name`, or undefined if there is none. */
  async readText(name: string, signal: AbortSignal): Promise<string | undefined> {
    try {
      return await text(await readObject(this.api, name, undefined, signal))
    } catch (error) {
      if (isNotFound(error)) return undefined
      throw error
    }
  }

  /** Object `name` as it is now, or undefined if there is none. */
  stat(name: string, signal: AbortSignal): Promise<ObjectInfo | undefined> {
    return statObject(this.api, name, signal)
  }

  /** Writes `data` as object `name` if `options.ifGenerationMatch` holds (412 otherwise); resolves with it. */
  write(name: string, data: Uint8Array, options: UploadOptions, signal: AbortSignal): Promise<ObjectInfo> {
    return uploadObject(this.api, name, data, options, signal)
  }

  /** Deletes object `name`; resolves false if there was none (also when an attempt whose answer was lost deleted it). */
  async remove(name: string, signal: AbortSignal): Promise<boolean> {
    const { status } = await jsonCall(this.api, 'DELETE', objectUrl(this.api, name), signal, { expected: 404 })
    return status !== 404
  }

  /**
   * Deletes the objects named, several at a time (at most `PARALLEL_DELETES` across the bucket), as far as
   * it goes: a failure is not reported (what is left is a leftover for `sweepLeftovers`). For clean-ups
   * after the fact, never for state.
   */
  async removeAll(names: readonly string[], signal: AbortSignal): Promise<void> {
    // One listener on the caller's signal, whatever the number of deletes.
    const controller = new AbortController()
    setMaxListeners(PARALLEL_DELETES + 1, controller.signal)
    const forward = (): void => controller.abort(signal.reason)
    signal.addEventListener('abort', forward, { once: true })
    try {
      const queue = [...names]
      const worker = async (): Promise<void> => {
        for (let name = queue.shift(); name !== undefined; name = queue.shift()) {
          const release = await this.#deletes.acquire(controller.signal).catch(() => undefined)
          if (release === undefined) return
          await this.remove(name, controller.signal)
            .catch(() => false)
            .finally(release)
        }
      }
      await Promise.all(Array.from({ length: Math.min(PARALLEL_DELETES, queue.length) }, worker))
    } finally {
      signal.removeEventListener('abort', forward)
    }
  }

  /** Sets the custom metadata of object `name` (replacing the keys given). */
  async setMetadata(name: string, metadata: Readonly<Record<string, string>>, signal: AbortSignal): Promise<void> {
    await jsonCall(this.api, 'PATCH', objectUrl(this.api, name), signal, { body: { metadata } })
  }

  /**
   * Composes `sources` (at most 32, each pinned to the generation listed) into `destination`, with what
   * `init` sets, in one request; resolves with the new object. A missing source is GCS's 404.
   */
  async compose(sources: readonly ObjectInfo[], destination: string, init: ComposeInit, signal: AbortSignal): Promise<ObjectInfo> {
    const body = {
      destination: { contentType: init.contentType ?? 'application/octet-stream', ...(init.metadata === undefined ? {} : { metadata: init.metadata }) },
      sourceObjects: sources.map(({ name, generation }) => ({ name, generation })),
    }
    const { json } = await jsonCall(this.api, 'POST', objectUrl(this.api, destination, '/compose'), signal, { body })
    return objectInfo(json ?? {})
  }

  /** Streams object `name`, or `range` of it (non-empty), once GCS has answered (see `readObject`). */
  read(name: string, range: ByteRange | undefined, signal: AbortSignal): Promise<Readable> {
    return readObject(this.api, name, range, signal)
  }
}
