import { setMaxListeners } from 'node:events'
import type { Readable } from 'node:stream'
import type { Bucket } from '@google-cloud/storage'
import type { ByteRange } from '../../model/upload.js'
import { Semaphore } from '../semaphore.js'
import { isNotFound } from './gcs-errors.js'
import { objectInfo, type ObjectInfo } from './gcs-objects.js'
import { deleteObject } from './object-delete.js'
import { readObject } from './object-read.js'
import { uploadObject, type UploadOptions, type UploadTarget } from './object-upload.js'

// A listing page as large as GCS gives: one request lists an upload of up to a thousand chunks.
const PAGE_SIZE = 1000

// Deletes in flight at once when many objects go (the chunks of finished uploads), across all uploads: each
// SDK call holds its own request objects, so memory and GCS's request rate stay flat however many uploads
// finish at once (per upload, 100 finishing together would have had 800 deletes in flight).
const PARALLEL_DELETES = 8

/** What a compose sets on its destination. */
export interface ComposeInit {
  readonly contentType?: string
  /** Custom metadata (string values, at most 8 KiB in all, as GCS takes them). */
  readonly metadata?: Readonly<Record<string, string>>
}

/**
 * The calls the GCS store makes, on one bucket: listing, reading and deleting objects and composing them
 * through `@google-cloud/storage` (its retries and request timeout apply), and writing objects with
 * `PieceUpload` (see object-upload.ts). Every call takes a signal: the SDK's calls cannot be cancelled, so
 * a call whose signal aborts rejects with its reason at once and its request ends in the background
 * (within the SDK's timeout); uploads and reads are cancelled for real.
 */
export class GcsBucket {
  readonly #deletes = new Semaphore(PARALLEL_DELETES)

  constructor(
    readonly bucket: Bucket,
    readonly uploads: UploadTarget,
  ) {}

  get name(): string {
    return this.bucket.name
  }

  /** Every object whose name starts with `prefix`, in name order, a page at a time (`delimiter`: not below it). */
  async *list(prefix: string, signal: AbortSignal, delimiter?: string): AsyncGenerator<ObjectInfo> {
    let pageToken: string | undefined
    do {
      signal.throwIfAborted()
      const query = { prefix, maxResults: PAGE_SIZE, autoPaginate: false, ...(delimiter === undefined ? {} : { delimiter }), ...(pageToken === undefined ? {} : { pageToken }) }
      const [files, next] = await untilAborted(this.bucket.getFiles(query), signal)
      for (const file of files) yield objectInfo(file.metadata as Record<string, unknown>)
      pageToken = (next as { pageToken?: string } | null)?.pageToken
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
    signal.throwIfAborted()
    try {
      const [contents] = await untilAborted(this.bucket.file(name).download(), signal)
      return contents.toString('utf8')
    } catch (error) {
      if (isNotFound(error)) return undefined
      throw error
    }
  }

  /** Object `name` as it is now, or undefined if there is none. */
  async stat(name: string, signal: AbortSignal): Promise<ObjectInfo | undefined> {
    signal.throwIfAborted()
    try {
      const [metadata] = await untilAborted(this.bucket.file(name).getMetadata(), signal)
      return objectInfo(metadata as Record<string, unknown>)
    } catch (error) {
      if (isNotFound(error)) return undefined
      throw error
    }
  }

  /** Writes `data` as object `name` if `options.ifGenerationMatch` holds (412 otherwise); resolves with it. */
  write(name: string, data: Uint8Array, options: UploadOptions, signal: AbortSignal): Promise<ObjectInfo> {
    return uploadObject(this.uploads, name, data, options, signal)
  }

  /** Deletes object `name` (see `deleteObject`); resolves false if there was none. */
  remove(name: string, signal: AbortSignal): Promise<boolean> {
    return deleteObject(this.uploads, name, signal)
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
    signal.throwIfAborted()
    await untilAborted(this.bucket.file(name).setMetadata({ metadata }), signal)
  }

  /**
   * Composes `sources` (at most 32, each pinned to the generation listed) into `destination`, with what
   * `init` sets, in one request; resolves with the new object. A missing source is GCS's 404.
   */
  async compose(sources: readonly ObjectInfo[], destination: string, init: ComposeInit, signal: AbortSignal): Promise<ObjectInfo> {
    signal.throwIfAborted()
    // `bucket.combine` sends no custom metadata; the compose request itself takes it with the destination.
    const json = {
      destination: { contentType: init.contentType ?? 'application/octet-stream', ...(init.metadata === undefined ? {} : { metadata: init.metadata }) },
      sourceObjects: sources.map(({ name, generation }) => ({ name, generation })),
    }
    const [resource] = await untilAborted(this.bucket.file(destination).request({ method: 'POST', uri: '/compose', json }), signal)
    return objectInfo(resource as Record<string, unknown>)
  }

  /** Streams object `name`, or `range` of it (non-empty), once GCS has answered (see `readObject`). */
  read(name: string, range: ByteRange | undefined, signal: AbortSignal): Promise<Readable> {
    return readObject(this.uploads, name, range, signal)
  }
}

/**
 * `promise`, or a rejection with `signal.reason` as soon as the signal aborts (the call itself runs on in
 * the background, bounded by the SDK's timeout and retries; its outcome is then ignored).
 */
export function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) {
    promise.catch(() => undefined)
    return Promise.reject(signal.reason as Error)
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason as Error)
    signal.addEventListener('abort', onAbort, { once: true })
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort))
  })
}
