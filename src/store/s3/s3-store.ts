import { mkdir } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { HeadBucketCommand, type S3Client } from '@aws-sdk/client-s3'
import { UploadNotFound } from '../../model/errors.js'
import type { Upload, UploadInit } from '../../model/upload.js'
import type { Store, StoreCapabilities, StoreInstruments } from '../store.js'
import { newInfo, parseInfo, uploadFromInfo } from '../tusd-info.js'
import { DiskPartBuffers, MemoryPartBuffers } from './part-buffer.js'
import { checkSizing, partSizeFor, S3_LIMITS, type PartSizing } from './part-size.js'
import { S3Bucket } from './s3-bucket.js'
import { createS3Client, withRegion, type S3ClientOptions } from './s3-client.js'
import type { S3Context } from './s3-context.js'
import { storeError } from './s3-errors.js'
import { isValidObjectId, isValidUploadId, joinUploadId, ObjectKeys, splitUploadId } from './s3-keys.js'
import { objectMetadataOf } from './s3-metadata.js'
import { s3OperationName } from './s3-operations.js'
import { S3Upload } from './s3-upload.js'
import { Semaphore } from '../semaphore.js'
import { timedPartBuffers } from './timed-part-buffers.js'
import { layoutOf } from './upload-layout.js'

const MiB = 1024 * 1024

/** Options of an `S3Store`; every size in bytes, every time in milliseconds. */
export interface S3StoreOptions extends S3ClientOptions {
  readonly bucket: string
  /** A client of your own; the client options (`endpoint`, `region`, ...) are then ignored, and `close` leaves it open. */
  readonly client?: S3Client
  /** Put before every object key (tusd's `-s3-object-prefix`; a `/` is added when missing). */
  readonly objectPrefix?: string
  /** Put before the keys of `.info` and `.part` objects instead (tusd's `MetadataObjectPrefix`). */
  readonly metadataObjectPrefix?: string
  /** The size of the parts an append is cut into (default 50 MiB, tusd's); larger for uploads past 10,000 of them. */
  readonly partSize?: number
  /** The least part but an upload's last (default 5 MiB, S3's): a shorter end of an append is kept as `.part`. */
  readonly minPartSize?: number
  /** Every part but an upload's last exactly `partSize` (Cloudflare R2 refuses anything else). Default false. */
  readonly equalPartSizes?: boolean
  /** Parts of one upload received but not yet uploaded before its body is read on (tusd's default: 20). */
  readonly maxBufferedParts?: number
  /** Part uploads in flight across all uploads (tusd's default: 10). */
  readonly concurrentPartUploads?: number
  /**
   * Send parts and `.part` objects unsigned, without their SHA-256 (S3 then cannot check them; saves ~1 CPU-s
   * per GiB). `open` turns them off when the client adds checksums of its own (`requestChecksumCalculation`).
   */
  readonly disableContentHashes?: boolean
  /** Where parts wait while they upload: `disk` (default; temporary files) or `memory` (each costs its size in RAM). */
  readonly partBuffer?: 'disk' | 'memory'
  /** The directory of the temporary files (default: the operating system's). */
  readonly temporaryDirectory?: string
  /** Most time one S3 call without a streamed body may take, retries included (default 30 s). */
  readonly requestTimeoutMs?: number
  /** After a release request or a shutdown, how long part uploads in flight may go on before they are cut off (default 5 s). */
  readonly stopGraceMs?: number
  /**
   * While a request streams, how often the parts S3 confirmed are committed (one small PUT), so that a crash
   * of the gateway loses at most this much of what reached S3 (default 1 s).
   */
  readonly commitIntervalMs?: number
  /** How old a temporary file or an orphaned multipart upload must be before `sweepLeftovers` removes it (default 10 minutes). */
  readonly leftoverGraceMs?: number
}

/**
 * Stores uploads in an S3 bucket (AWS S3 or any S3-compatible server) in tusd v2's s3store layout, so a
 * bucket tusd writes can be served and resumed, and the other way round:
 *
 * - the upload id is `<objectId>+<multipartId>`; its bytes go to the multipart upload of `<prefix><objectId>`,
 *   which becomes that object when the upload is finished (`finish`: CompleteMultipartUpload);
 * - `<prefix><objectId>.info` holds tusd's JSON (written at creation and when the length or our own fields
 *   change; never for bytes, as tusd); tus metadata goes on the object too, `filetype` as its Content-Type;
 * - `<prefix><objectId>.part` holds the bytes after the last part, when there are fewer than a part's worth.
 *
 * The offset is what S3 holds, read once per request (`open`: `.info`, ListParts page after page, HEAD
 * `.part`), never more: see upload-layout.ts for how the gateway commits each append on the `.part` object
 * so that a crash, a failed part or a rollback can never make bytes count twice or in the wrong place.
 * Appends are cut into parts buffered on disk (or in memory) and uploaded several at a time (see
 * `PartPipeline`), with `concurrentPartUploads` across the store. S3 unreachable, timing out or answering
 * 5xx gives `StoreUnavailable`, after bounded retries; nothing S3 confirmed is lost.
 */
export class S3Store implements Store {
  readonly capabilities: StoreCapabilities
  /** Whether parts and `.part` objects are signed with their SHA-256 (content hashes), which S3 checks. */
  readonly signsPayloads: boolean
  readonly #context: S3Context
  readonly #bucket: S3Bucket
  readonly #client: S3Client
  readonly #ownClient: boolean
  #instruments: StoreInstruments | undefined
  readonly #leftoverGraceMs: number

  /** A store over `client` (see `S3Store.open`, which makes the client and checks the bucket). Throws `RangeError` for bad sizes. */
  constructor(options: S3StoreOptions & { readonly client: S3Client }, ownClient = false) {
    const partSize = options.partSize ?? 50 * MiB
    const equalParts = options.equalPartSizes ?? false
    const sizing: PartSizing = {
      partSize,
      minPartSize: options.minPartSize ?? S3_LIMITS.minPartSize,
      maxParts: S3_LIMITS.maxParts,
      maxPartSize: S3_LIMITS.maxPartSize,
    }
    checkSizing(sizing)
    const hashes = options.disableContentHashes !== true
    const buffers = timedPartBuffers(
      options.partBuffer === 'memory' ? new MemoryPartBuffers({ hashes }) : new DiskPartBuffers({ directory: options.temporaryDirectory ?? tmpdir(), hashes }),
      (ms) => this.#instruments?.partBuffered(ms),
    )
    this.signsPayloads = hashes
    this.#client = options.client
    this.#ownClient = ownClient
    this.#bucket = new S3Bucket({
      client: options.client,
      bucket: options.bucket,
      keys: new ObjectKeys(options.objectPrefix, options.metadataObjectPrefix),
      requestTimeoutMs: options.requestTimeoutMs ?? 30_000,
      maxAttempts: options.maxAttempts ?? 3,
    })
    this.#context = {
      bucket: this.#bucket,
      sizing,
      equalParts,
      buffers,
      slots: new Semaphore(positive(options.concurrentPartUploads ?? 10, 'concurrentPartUploads')),
      maxBufferedParts: positive(options.maxBufferedParts ?? 20, 'maxBufferedParts'),
      stopGraceMs: options.stopGraceMs ?? 5000,
      undoLifetimeMs: 60_000,
      commitIntervalMs: options.commitIntervalMs ?? 1000,
    }
    this.#leftoverGraceMs = options.leftoverGraceMs ?? 10 * 60 * 1000
    this.capabilities = {
      terminate: true,
      deferLength: true,
      read: true,
      rollBack: true,
      concat: true,
      expire: true,
      minPartSize: equalParts ? partSize : sizing.minPartSize,
      maxSize: S3_LIMITS.maxObjectSize,
    }
  }

  /**
   * Reports tusd's S3 series to `instruments` (the last given, when a store serves several gateways): each
   * call's duration (all attempts), each part's buffering, and the upload slots.
   */
  instrument(instruments: StoreInstruments): void {
    if (this.#instruments === undefined) {
      this.#client.middlewareStack.add(
        (next, context) => async (args) => {
          const started = performance.now()
          try {
            return await next(args)
          } finally {
            this.#instruments?.request(s3OperationName(context.commandName ?? '', args.input), performance.now() - started)
          }
        },
        { step: 'initialize', name: 'tusdRequestDuration' },
      )
    }
    this.#instruments = instruments
    const { slots } = this.#context
    instruments.uploadSlots(() => ({ demand: slots.demand, limit: slots.limit }))
  }

  /**
   * Makes the client (unless one is given), checks that the bucket can be reached, creates the temporary
   * directory if missing, removes the part files of gateways that are gone, and returns the store. Throws an `Error` naming the bucket when S3 refuses it or
   * cannot be reached, `RangeError` for bad sizes.
   */
  static async open(options: S3StoreOptions): Promise<S3Store> {
    const own = options.client === undefined
    const client = options.client ?? (await withRegion(createS3Client(options), options))
    try {
      // A client that adds checksums of its own (a CRC32 trailer on every streamed body) replaces the payload
      // hash with them: computing one would be CPU spent for nothing.
      const sdkChecksums = (await client.config.requestChecksumCalculation()) === 'WHEN_SUPPORTED'
      const store = new S3Store({ ...options, client, ...(sdkChecksums ? { disableContentHashes: true } : {}) }, own)
      await client.send(new HeadBucketCommand({ Bucket: options.bucket }), { abortSignal: AbortSignal.timeout(options.requestTimeoutMs ?? 30_000) }).catch((error: unknown) => {
        const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode
        const reason = status === 404 ? 'it does not exist' : status === 403 ? 'access is denied' : error instanceof Error ? error.message : String(error)
        throw new Error(`S3 bucket ${options.bucket} cannot be used: ${reason}`, { cause: error })
      })
      if (options.partBuffer !== 'memory' && options.temporaryDirectory !== undefined) await mkdir(options.temporaryDirectory, { recursive: true })
      // Part files a killed gateway left (tusd leaks its own: tus/tusd#494); nothing to fail the start for.
      await store.#context.buffers.sweep(store.#leftoverGraceMs, AbortSignal.timeout(10_000)).catch(() => undefined)
      return store
    } catch (error) {
      if (own) client.destroy()
      throw error
    }
  }

  /** tusd's ids: `<objectId>+<multipartId>` (and the object ids a creation may want), one safe URL path segment. */
  isValidId(id: string): boolean {
    return isValidUploadId(id)
  }

  /**
   * Starts the multipart upload of `init.id` (the object id; the upload's id becomes `<id>+<multipartId>`),
   * then writes `.info` and the empty record. Throws `RangeError` for an invalid id or length, an `Error`
   * when the object id is taken (its `.info` exists), `StoreUnavailable`, `signal.reason`; leaves nothing
   * behind when it fails.
   */
  async create(init: UploadInit, signal: AbortSignal): Promise<S3Upload> {
    signal.throwIfAborted()
    const objectId = init.id
    if (!isValidObjectId(objectId)) throw new RangeError(`not an upload id: ${JSON.stringify(objectId)}`)
    const { length } = init
    if (length !== undefined && !(Number.isSafeInteger(length) && length >= 0 && length <= S3_LIMITS.maxObjectSize)) {
      throw new RangeError(`not an upload length S3 can hold: ${length}`)
    }
    partSizeFor(this.#context.sizing, length)
    const bucket = this.#bucket
    const { metadata, contentType } = objectMetadataOf(init.metadata)
    const [taken, started] = await Promise.allSettled([bucket.hasInfo(objectId, signal), bucket.multipart.createMultipart(objectId, metadata, contentType, signal)])
    const multipartId = started.status === 'fulfilled' ? started.value : undefined
    const abandon = async (): Promise<void> => {
      if (multipartId !== undefined) await bucket.multipart.abort(objectId, multipartId, NEVER).catch(() => undefined)
    }
    if (taken.status === 'rejected' || started.status === 'rejected') {
      await abandon()
      throw taken.status === 'rejected' ? taken.reason : (started as PromiseRejectedResult).reason
    }
    if (taken.value) {
      await abandon()
      throw new Error(`an upload with object id ${objectId} exists already`)
    }
    const id = multipartId === undefined ? undefined : joinUploadId(objectId, multipartId)
    if (id === undefined) {
      await abandon()
      throw new Error(`S3 named the multipart upload ${JSON.stringify(multipartId)}, which cannot be part of a URL`)
    }
    const now = Date.now()
    const info = newInfo(id, init, { Bucket: bucket.name, Key: bucket.keys.data(objectId), Type: 's3store' }, now)
    const written = await Promise.allSettled([
      bucket.writeInfo(objectId, JSON.stringify(info), signal),
      bucket.writeTail(objectId, { committedParts: 0, updatedAt: now }, { size: 0, open: () => new Uint8Array(0) }, signal),
    ])
    const failed = written.find((result): result is PromiseRejectedResult => result.status === 'rejected')
    if (failed !== undefined) {
      await Promise.all([abandon(), bucket.deleteTail(objectId, NEVER).catch(() => undefined), bucket.deleteInfo(objectId, NEVER).catch(() => undefined)])
      throw failed.reason
    }
    const json = info as unknown as Record<string, unknown>
    const state = uploadFromInfo(id, json, { size: 0, modifiedAt: now }, bucket.keys.info(objectId))
    return new S3Upload(this.#context, { objectId, multipartId: multipartId as string }, json, state, false, { parts: [], tail: 0, recorded: true })
  }

  /**
   * Reads `.info`, every part and `.part` once, side by side (tusd's GetInfo). A multipart upload that is
   * gone means a finished upload when its object exists (its size is the offset). Throws `UploadNotFound`
   * (also for an id that is not valid, and an `.info` that names another multipart upload),
   * `InvalidInfoFile`, `MissingParts`, `StoreUnavailable`, `signal.reason`.
   */
  async open(id: string, signal: AbortSignal): Promise<S3Upload> {
    const ids = splitUploadId(id)
    if (ids === undefined) throw new UploadNotFound(id)
    signal.throwIfAborted()
    const { objectId, multipartId } = ids
    const bucket = this.#bucket
    const [info, listed, tail] = await Promise.all([
      bucket.readInfo(objectId, signal),
      bucket.multipart.listParts(objectId, multipartId, signal),
      bucket.headTail(objectId, signal),
    ])
    if (info === undefined) throw new UploadNotFound(id)
    const location = bucket.keys.info(objectId)
    const json = parseInfo(info.text, location)
    // Another multipart upload of the same object id (a stale URL): tusd's `.info` names the one that counts.
    if (typeof json['ID'] === 'string' && json['ID'] !== id) throw new UploadNotFound(id)
    const created = (state: Upload): Upload => (state.createdAt === undefined && info.lastModified !== undefined ? { ...state, createdAt: info.lastModified } : state)
    if (listed === undefined) {
      const object = await bucket.headData(objectId, signal)
      if (object === undefined) throw new UploadNotFound(id)
      const read = uploadFromInfo(id, json, { size: object.size, ...(object.lastModified === undefined ? {} : { modifiedAt: object.lastModified }) }, location)
      const state = created(read.length === undefined ? { ...read, length: object.size } : read)
      return new S3Upload(this.#context, ids, json, state, true, { parts: [], tail: 0, recorded: true })
    }
    const layout = layoutOf(listed, tail)
    const updatedAt = layout.updatedAt ?? info.lastModified
    const state = created(uploadFromInfo(id, json, { size: layout.offset, ...(updatedAt === undefined ? {} : { modifiedAt: updatedAt }) }, location))
    return new S3Upload(this.#context, ids, json, state, false, { parts: layout.parts, tail: layout.tail, recorded: layout.recorded })
  }

  /** The id of every upload (from its `.info`, read eight at a time), page after page of the bucket's listing. */
  async *list(signal: AbortSignal): AsyncGenerator<string> {
    const window: Promise<string | undefined>[] = []
    for await (const objectId of this.#bucket.infoObjectIds(signal)) {
      const id = this.#idOf(objectId, signal)
      // Awaited in order below; a failure meanwhile must not count as unhandled.
      id.catch(() => undefined)
      window.push(id)
      if (window.length >= 8) {
        const id = await window.shift()
        if (id !== undefined) yield id
      }
    }
    for (const pending of window) {
      const id = await pending
      if (id !== undefined) yield id
    }
  }

  /**
   * Removes what crashes left behind, once older than `leftoverGraceMs`: part files in the temporary
   * directory, and multipart uploads without `.info` (a creation killed before writing it). Resolves with
   * the bytes freed. Throws `StoreUnavailable`, `signal.reason`.
   */
  async sweepLeftovers(signal: AbortSignal): Promise<number> {
    let freed = await this.#context.buffers.sweep(this.#leftoverGraceMs, signal)
    const cutoff = Date.now() - this.#leftoverGraceMs
    for await (const upload of this.#bucket.multipart.multipartUploads(signal)) {
      if (upload.initiated === undefined || upload.initiated > cutoff) continue
      if (await this.#bucket.hasInfo(upload.objectId, signal)) continue
      const parts = (await this.#bucket.multipart.listParts(upload.objectId, upload.multipartId, signal)) ?? []
      await this.#bucket.multipart.abort(upload.objectId, upload.multipartId, signal)
      freed += parts.reduce((sum, part) => sum + part.size, 0)
    }
    return freed
  }

  /** Closes the client's sockets (unless the client was given). */
  async close(): Promise<void> {
    if (this.#ownClient) this.#client.destroy()
  }

  /** The upload id an `.info` names, if it is one of this object id's. */
  async #idOf(objectId: string, signal: AbortSignal): Promise<string | undefined> {
    const info = await this.#bucket.readInfo(objectId, signal).catch((error: unknown) => {
      throw storeError(error, signal)
    })
    if (info === undefined) return undefined
    let id: unknown
    try {
      id = parseInfo(info.text, this.#bucket.keys.info(objectId))['ID']
    } catch {
      return undefined
    }
    return typeof id === 'string' && splitUploadId(id)?.objectId === objectId ? id : undefined
  }
}

// For the clean-up after a failed creation, which must run even when the request's signal aborted.
const NEVER = new AbortController().signal

function positive(value: number, name: string): number {
  if (!(Number.isSafeInteger(value) && value > 0)) throw new RangeError(`${name} must be a positive whole number, not ${value}`)
  return value
}
