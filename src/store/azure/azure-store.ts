import { BlobServiceClient, StorageSharedKeyCredential, type AccessTier, type BlockBlobClient, type ContainerClient, type StorageRetryOptions } from '@azure/storage-blob'
import { UploadNotFound } from '../../model/errors.js'
import type { UploadInit } from '../../model/upload.js'
import type { Store, StoreCapabilities } from '../store.js'
import { newInfo, uploadFromInfo } from '../tusd-info.js'
import { checkNewUpload } from '../length-rules.js'
import { isNotFound, storeFailure } from './azure-errors.js'
import { AzureUpload, type AzureUploadContext } from './azure-upload.js'
import { blobNames, type BlobNames } from './blob-names.js'
import { SENTINEL_ID } from './block-ids.js'
import { idleTimeoutPolicy } from './idle-timeout-policy.js'
import { withWriteChecks } from './write-checks-policy.js'
import { BlockBuffers } from './block-buffers.js'
import { BlockCopier } from './block-copier.js'
import { readBlockState, type BlockList } from './block-state.js'
import { InfoBlob } from './info-blob.js'
import { sweepLeftovers } from './leftovers.js'

/** How an `AzureStore` lays out and writes uploads in its container. */
export interface AzureStoreOptions {
  /** What every blob name starts with (tusd's `-azure-object-prefix`); a `/` is added unless it ends in one. */
  readonly objectPrefix?: string
  /** The access tier finished uploads are committed with (tusd's `-azure-blob-access-tier`); default: the account's. */
  readonly accessTier?: AccessTier
  /** Bytes per staged block (default 4 MiB); blocks grow beyond it only for uploads too large for 50,000 of them. */
  readonly blockSize?: number
  /** The most memory every append together fills blocks in (default 16 MiB); appends wait for it beyond. */
  readonly bufferMemory?: number
  /** How long blocks under way may take to reach Azure once a request is asked to let go (default 5 s). */
  readonly flushGraceMs?: number
  /** Copy blocks with Azure's `stageBlockFromURL` where it is offered (default true); false always streams them. */
  readonly serverSideCopy?: boolean
  /**
   * How old a data blob without `.info` must be before `sweepLeftovers` removes it, in milliseconds (default 10
   * minutes: a termination in progress is between its two deletes for far less).
   */
  readonly leftoverGraceMs?: number
}

/** Who the store talks to Azure as: a connection string, or an account's name and key (endpoint optional). */
export type AzureCredentials =
  | { readonly connectionString: string }
  | { readonly accountName: string; readonly accountKey: string; readonly endpoint?: string }

/** What `AzureStore.connect` needs: credentials, a container, and how to create it when it is missing. */
export interface AzureConnectOptions extends AzureStoreOptions {
  readonly credentials: AzureCredentials
  readonly container: string
  /** Public access of a container created at start-up (tusd's `-azure-container-access-type`); default private. */
  readonly containerAccessType?: 'blob' | 'container'
  /** The SDK's retries (default: 4 tries, 200 ms to 2 s apart, 30 s per try). */
  readonly retry?: StorageRetryOptions
}

const MiB = 1024 * 1024
const DEFAULTS = { blockSize: 4 * MiB, bufferMemory: 16 * MiB, flushGraceMs: 5000, leftoverGraceMs: 10 * 60 * 1000 }
const DEFAULT_TRY_TIMEOUT_MS = 30_000
const DEFAULT_RETRY: StorageRetryOptions = { maxTries: 4, retryDelayInMs: 200, maxRetryDelayInMs: 2000, tryTimeoutInMs: DEFAULT_TRY_TIMEOUT_MS }

// URL-safe characters only: an id is one blob name segment, never `x.info`, never a path. tusd's ids fit.
const VALID_ID = /^[A-Za-z0-9_-]{1,128}$/

/**
 * Stores uploads in an Azure Blob Storage container in tusd's azurestore layout, so a container tusd wrote is
 * served and resumed as it is: `<prefix><id>.info` (tusd's FileInfo JSON) and a block blob `<prefix><id>`
 * whose uncommitted blocks (ids: 4-byte little-endian indexes, and tusd's never-committed 1-byte sentinel)
 * are the bytes of an unfinished upload, committed on `finish` with the access tier.
 *
 * Unlike tusd, a body is staged as it streams, in blocks of `blockSize` (tusd copies it whole to a temporary
 * file first): memory is bounded per append (two blocks) and for the store (`bufferMemory`), and a body that
 * stops early keeps what arrived as a last, short block. `open` reads `.info` and the block list once.
 * Azure out of reach or answering 5xx (after the SDK's retries) is `StoreUnavailable`.
 */
export class AzureStore implements Store {
  readonly capabilities: StoreCapabilities = {
    terminate: true,
    deferLength: true,
    read: true,
    rollBack: true,
    concat: true,
    expire: true,
  }
  /** The container, for tests and tools that look at the blobs. */
  readonly container: ContainerClient
  /** How uploads are named in it. */
  readonly names: BlobNames
  readonly #context: AzureUploadContext
  readonly #leftoverGraceMs: number

  /** A store on `container`, which must exist (see `AzureStore.connect`). Throws `RangeError` for bad sizes. */
  constructor(container: ContainerClient, options: AzureStoreOptions = {}) {
    const { blockSize, bufferMemory, flushGraceMs, leftoverGraceMs } = { ...DEFAULTS, ...withoutUndefined(options) }
    if (!(Number.isSafeInteger(blockSize) && blockSize > 0)) throw new RangeError(`blockSize must be a positive byte count, not ${blockSize}`)
    this.container = container
    this.names = blobNames(options.objectPrefix)
    this.#leftoverGraceMs = leftoverGraceMs
    const blob = (name: string): BlockBlobClient => container.getBlockBlobClient(name)
    this.#context = {
      buffers: new BlockBuffers(bufferMemory),
      copier: new BlockCopier(options.serverSideCopy ?? true),
      blockSize,
      flushGraceMs,
      accessTier: options.accessTier,
      dataBlob: (id) => blob(this.names.data(id)),
      infoBlob: (id) => new InfoBlob(blob(this.names.info(id)), id),
    }
  }

  /**
   * Connects with `options.credentials` and creates the container when it is missing (with the access type),
   * as tusd does at start-up. Throws when Azure cannot be reached or refuses the credentials.
   */
  static async connect(options: AzureConnectOptions): Promise<AzureStore> {
    const retryOptions = { ...DEFAULT_RETRY, ...options.retry }
    const pipeline = { retryOptions }
    const { credentials } = options
    const client =
      'connectionString' in credentials
        ? BlobServiceClient.fromConnectionString(credentials.connectionString, pipeline)
        : new BlobServiceClient(
            credentials.endpoint ?? `https://${credentials.accountName}.blob.core.windows.net`,
            new StorageSharedKeyCredential(credentials.accountName, credentials.accountKey),
            pipeline,
          )
    const service = withWriteChecks(client, pipeline, idleTimeoutPolicy(retryOptions.tryTimeoutInMs ?? DEFAULT_TRY_TIMEOUT_MS))
    const container = service.getContainerClient(options.container)
    await container.createIfNotExists(options.containerAccessType === undefined ? {} : { access: options.containerAccessType })
    return new AzureStore(container, options)
  }

  /** How blocks are copied for concatenations and roll-backs: by Azure (`server`) or through the gateway (`streamed`). */
  get copyMode(): 'server' | 'streamed' {
    return this.#context.copier.mode
  }

  /** Ids of 1 to 128 letters, digits, `-` and `_` (tusd's are 32 hex digits): one blob name segment, never `.info`. */
  isValidId(id: string): boolean {
    return VALID_ID.test(id)
  }

  /**
   * Writes `.info` (refusing a taken id) and stages tusd's sentinel block. Throws `RangeError` for an invalid
   * id or length, `UploadIdTaken`, `StoreUnavailable`, `signal.reason`.
   */
  async create(init: UploadInit, signal: AbortSignal): Promise<AzureUpload> {
    signal.throwIfAborted()
    checkNewUpload(init, (id) => this.isValidId(id))
    const { id } = init
    const createdAt = Date.now()
    // tusd's Storage map, keys in the order Go marshals them.
    const json = newInfo(id, init, { Container: this.container.containerName, Key: this.names.data(id), Type: 'azurestore' }, createdAt)
    const info = this.#context.infoBlob(id)
    let etag: string | undefined
    try {
      etag = await info.create(json, createdAt, signal)
    } catch (error) {
      throw storeFailure(error, signal)
    }
    try {
      await this.#context.dataBlob(id).stageBlock(SENTINEL_ID, Buffer.of(0), 1, { abortSignal: signal })
    } catch (error) {
      // No client knows the upload yet: leave nothing behind if Azure lets us.
      await info.delete(AbortSignal.timeout(5000)).catch(() => undefined)
      throw storeFailure(error, signal)
    }
    const blocks = { offset: 0, finished: false, staged: [] }
    return new AzureUpload(this.#context, id, { info: json as unknown as Record<string, unknown>, etag, updatedAt: createdAt, blocks })
  }

  /**
   * Reads `.info` and the data blob's block list, side by side, once. Throws `UploadNotFound` (also for an id
   * `isValidId` refuses), `InvalidInfoFile`, `StoreUnavailable`, `signal.reason`.
   */
  async open(id: string, signal: AbortSignal): Promise<AzureUpload> {
    if (!this.isValidId(id)) throw new UploadNotFound(id)
    signal.throwIfAborted()
    const info = this.#context.infoBlob(id)
    let read
    let list
    try {
      ;[read, list] = await Promise.all([info.read(signal), blockListOf(this.#context.dataBlob(id), signal)])
    } catch (error) {
      throw error instanceof UploadNotFound ? error : storeFailure(error, signal)
    }
    const upload = uploadFromInfo(id, read.info, { size: 0 }, info.location)
    const blocks = readBlockState(list, { length: upload.length, final: upload.concat?.kind === 'final' })
    return new AzureUpload(this.#context, id, { ...read, blocks })
  }

  /** The id of every upload with an `.info` blob under the prefix, listed page by page. Throws `StoreUnavailable`, `signal.reason`. */
  async *list(signal: AbortSignal): AsyncGenerator<string> {
    try {
      for await (const blob of this.container.listBlobsFlat({ prefix: this.names.prefix, abortSignal: signal })) {
        const id = this.names.idOfInfo(blob.name)
        if (id !== undefined && this.isValidId(id)) yield id
      }
    } catch (error) {
      throw storeFailure(error, signal)
    }
  }

  /**
   * Removes data blobs whose `.info` is gone, once older than `leftoverGraceMs` (see `sweepLeftovers` in
   * leftovers.ts): what a termination that stopped half-way, or an append through a handle of a terminated
   * upload, left. Resolves with the committed bytes freed; throws `StoreUnavailable`, `signal.reason`.
   */
  async sweepLeftovers(signal: AbortSignal): Promise<number> {
    try {
      return await sweepLeftovers({ container: this.container, names: this.names, isValidId: (id) => this.isValidId(id), graceMs: this.#leftoverGraceMs, signal })
    } catch (error) {
      throw storeFailure(error, signal)
    }
  }
}

/** The data blob's block list, or undefined when there is no blob and no block at all. */
async function blockListOf(blob: BlockBlobClient, signal: AbortSignal): Promise<BlockList | undefined> {
  try {
    const list = await blob.getBlockList('all', { abortSignal: signal })
    const blocks = (items: { name: string; size: number }[] | undefined) => (items ?? []).map(({ name, size }) => ({ id: name, size }))
    return { committed: blocks(list.committedBlocks), uncommitted: blocks(list.uncommittedBlocks) }
  } catch (error) {
    if (isNotFound(error)) return undefined
    throw error
  }
}

function withoutUndefined<T extends object>(options: T): Partial<T> {
  return Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined)) as Partial<T>
}
