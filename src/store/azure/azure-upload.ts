import { Readable } from 'node:stream'
import type { AccessTier, BlockBlobClient } from '@azure/storage-blob'
import { StorageFull, StoreUnavailable, UploadIncomplete, UploadNotFound } from '../../model/errors.js'
import { eitherSignal } from '../../model/either-signal.js'
import { LockLoss } from '../../model/stop-reasons.js'
import { isComplete, type ByteRange, type Upload } from '../../model/upload.js'
import { consumeBody } from '../consume-body.js'
import { checkDeclaredLength } from '../length-rules.js'
import type { StoredUpload, UploadChanges } from '../store.js'
import { uploadFromInfo, withChanges } from '../tusd-info.js'
import { isNotFound, storeFailure } from './azure-errors.js'
import type { BlockBuffers } from './block-buffers.js'
import type { BlockCopier } from './block-copier.js'
import { MAX_BLOCKS, SENTINEL_ID, blockId } from './block-ids.js'
import { blockSizeFor } from './block-size.js'
import { sumOf, type Block, type BlockState } from './block-state.js'
import { BlockWriter } from './block-writer.js'
import { concatenationPlan, restagePlan } from './copy-plans.js'
import { graceAfter } from '../grace.js'
import type { InfoBlob } from './info-blob.js'

/** What a handle needs of its `AzureStore`. */
export interface AzureUploadContext {
  readonly buffers: BlockBuffers
  readonly copier: BlockCopier
  /** Bytes per block of an append (grown for very large uploads, see `blockSizeFor`). */
  readonly blockSize: number
  /** How long blocks under way may take to reach Azure once a request is asked to let go. */
  readonly flushGraceMs: number
  /** The access tier `finish` commits a blob with (tusd's `-azure-blob-access-tier`); undefined: the account's default. */
  readonly accessTier: AccessTier | undefined
  /** The data blob of another upload of the store (a partial upload, for a concatenation). */
  dataBlob(id: string): BlockBlobClient
  infoBlob(id: string): InfoBlob
}

/** What `AzureStore.open` learned, handed to the handle. */
export interface AzureUploadInit {
  readonly info: Record<string, unknown>
  readonly etag: string | undefined
  readonly updatedAt: number | undefined
  readonly blocks: BlockState
}

/**
 * A handle on one upload of an `AzureStore`: `.info` and the block list as read at `open`, then as each of
 * its own calls left them, without asking Azure again. Every byte its state counts is a block Azure confirmed.
 */
export class AzureUpload implements StoredUpload {
  readonly #context: AzureUploadContext
  readonly #id: string
  readonly #info: InfoBlob
  readonly #data: BlockBlobClient
  #json: Record<string, unknown>
  #etag: string | undefined
  #state: Upload
  #finished: boolean
  /** The data blocks staged, in index order from 0: what `finish` commits. */
  #staged: Block[]
  /** Committed blocks to stage again before anything else (a roll-back stopped half-way). */
  #toRestage: readonly Block[] | undefined
  /** This handle's last append: the blocks staged before it, and whether a block of it may be in Azure unconfirmed. */
  #lastAppend: { readonly blocks: number; uncertain: boolean } | undefined

  constructor(context: AzureUploadContext, id: string, init: AzureUploadInit) {
    this.#context = context
    this.#id = id
    this.#info = context.infoBlob(id)
    this.#data = context.dataBlob(id)
    this.#json = init.info
    this.#etag = init.etag
    this.#finished = init.blocks.finished
    this.#staged = [...init.blocks.staged]
    this.#toRestage = init.blocks.toRestage
    this.#state = this.#stateOf(init.blocks.offset, init.updatedAt)
  }

  get state(): Upload {
    return this.#state
  }

  get finished(): boolean {
    return this.#finished
  }

  /**
   * Stages the body as blocks while it streams (see `BlockWriter`), and resolves with the offset Azure confirmed.
   * A body that ends early, or a signal that aborts, keeps what arrived: the last, short block is staged within
   * the grace period. Throws `UploadNotFound`, `StoreUnavailable` (with the offset kept) when Azure cannot be
   * reached or does not confirm a block within the grace period, `StorageFull` past Azure's 50,000 blocks, the
   * body's error after keeping the bytes before it, and `RangeError` for a final upload.
   */
  async append(body: AsyncIterable<Uint8Array>, signal: AbortSignal): Promise<Upload> {
    if (this.#state.concat?.kind === 'final') throw new RangeError(`upload ${this.#id} is a final upload: it takes no bytes`)
    if (this.#finished) return this.#appendNothing(body, signal)
    const last = { blocks: this.#staged.length, uncertain: false }
    this.#lastAppend = last
    if (signal.aborted) return this.#state
    if (this.#toRestage !== undefined) {
      try {
        await this.#restage(this.#toRestage, signal)
      } catch (error) {
        if (signal.aborted) return this.#state
        throw storeFailure(error, signal, this.#state.offset)
      }
    }
    const grace = graceAfter(signal, this.#context.flushGraceMs)
    const writer = new BlockWriter({
      buffers: this.#context.buffers,
      blockSize: blockSizeFor(this.#state, this.#context.blockSize),
      firstIndex: this.#staged.length,
      signal,
      stageSignal: grace.signal,
      stage: async (index, bytes, stageSignal) => {
        if (index >= MAX_BLOCKS) throw new StorageFull(this.#state.offset)
        await this.#data.stageBlock(blockId(index), bytes, bytes.length, { abortSignal: stageSignal })
      },
      onStaged: (block) => {
        this.#staged.push(block)
        this.#state = { ...this.#state, offset: this.#state.offset + block.size, updatedAt: Date.now() }
      },
    })
    let bodyFailure: { readonly error: unknown } | undefined
    try {
      await consumeBody(body, signal, (chunk) => writer.write(chunk))
    } catch (error) {
      bodyFailure = { error }
    }
    // The last write's time, and the proof that the upload still exists (staging blocks would not tell: Azure
    // takes blocks for any name), asked while the last blocks are staged: one round trip to Azure fewer per
    // append. Only its absence fails the append; the bytes are safe either way. Called off when a block fails:
    // an Azure that just failed one would only add its retries to the answer's delay.
    const touchStop = new AbortController()
    const touchSignal = eitherSignal(grace.signal, touchStop.signal)
    const touched = this.#touch(touchSignal.signal).then(
      () => undefined,
      (error: unknown) => error,
    )
    try {
      await writer.end()
    } catch {
      // writer.failure says why.
    }
    last.uncertain = writer.uncertain
    const failure = writer.failure
    if (failure !== undefined) touchStop.abort(failure.error)
    const touchError = await touched
    touchSignal.unlink()
    const gone = failure === undefined && touchError instanceof UploadNotFound ? touchError : undefined
    grace.dispose()
    if (gone !== undefined) throw gone
    if (failure !== undefined) {
      // Cut off by a lost lock, at once: no failure; what Azure confirmed is kept, and the caller learns of
      // the loss from its signal.
      if (grace.signal.reason instanceof LockLoss) return this.#state
      // A block Azure did not confirm within the grace period after the request was asked to let go: the bytes
      // that arrived are not all stored, and Azure is too slow to say more. The offset says what is.
      if (grace.signal.aborted) throw new StoreUnavailable(this.#state.offset, { cause: failure.error })
      throw storeFailure(failure.error, grace.signal, this.#state.offset)
    }
    if (bodyFailure !== undefined) throw bodyFailure.error
    return this.#state
  }

  /** A finished upload takes an empty body (a client completing it again), and no byte. */
  async #appendNothing(body: AsyncIterable<Uint8Array>, signal: AbortSignal): Promise<Upload> {
    await consumeBody(body, signal, (chunk) => {
      if (chunk.length > 0) throw new RangeError(`upload ${this.#id} is finished: it takes no more bytes`)
    })
    return this.#state
  }

  /** Rewrites `.info` with `changes`, keeping every other field. Throws `UploadNotFound`, `RangeError` for a bad length, `StoreUnavailable`. */
  async update(changes: UploadChanges, signal: AbortSignal): Promise<Upload> {
    signal.throwIfAborted()
    if (changes.length !== undefined) checkDeclaredLength(this.#state, changes.length)
    const json = withChanges(this.#json, changes)
    try {
      this.#etag = await this.#info.write(json, this.#state.updatedAt, this.#etag, signal)
    } catch (error) {
      throw storeFailure(error, signal)
    }
    this.#json = json
    this.#state = this.#stateOf(this.#state.offset, this.#state.updatedAt)
    return this.#state
  }

  /**
   * Commits the staged blocks (tusd's `FinishUpload`), with the access tier: the blob becomes the upload and
   * Azure drops the sentinel. Safe to call again. Throws `UploadIncomplete` for an upload that is not complete,
   * `StoreUnavailable`.
   */
  async finish(signal: AbortSignal): Promise<Upload> {
    signal.throwIfAborted()
    if (this.#finished) return this.#state
    if (!isComplete(this.#state)) throw new UploadIncomplete(this.#state.offset, this.#state.length)
    // Blocks committed by a roll-back that stopped half-way are the upload's bytes as much as staged ones.
    await this.#commit(this.#toRestage ?? this.#staged, this.#context.accessTier, signal)
    this.#toRestage = undefined
    this.#finished = true
    this.#lastAppend = undefined
    return this.#state
  }

  /**
   * Drops the blocks of this handle's last append. Azure forgets uncommitted blocks only on a commit, so the
   * blocks before it are committed, which discards the others, and staged again (by Azure itself where it can),
   * so the blob reads as an unfinished upload of those bytes, to tusd too. Throws `StoreUnavailable`, and a
   * `RangeError` for a finished upload.
   */
  async rollBack(signal: AbortSignal): Promise<Upload> {
    signal.throwIfAborted()
    if (this.#finished) throw new RangeError(`upload ${this.#id} is finished: nothing can be rolled back`)
    const last = this.#lastAppend
    this.#lastAppend = undefined
    if (last === undefined || (this.#staged.length === last.blocks && !last.uncertain)) return this.#state
    const kept = this.#staged.slice(0, last.blocks)
    await this.#commit(kept, undefined, signal)
    // From here until the blocks are staged again the blob reads as committed before it was complete: an
    // `open` then stages them again itself (`toRestage`).
    this.#staged = []
    this.#toRestage = kept
    this.#state = { ...this.#state, offset: sumOf(kept), updatedAt: Date.now() }
    try {
      await this.#restage(kept, signal)
      await this.#info.touch(this.#state.updatedAt ?? Date.now(), signal).then((etag) => (this.#etag = etag))
    } catch (error) {
      throw storeFailure(error, signal, this.#state.offset)
    }
    return this.#state
  }

  /**
   * Removes `.info`, then the bytes: uncommitted blocks are discarded by committing none, and the blob is
   * deleted with its snapshots. Throws `UploadNotFound` if `.info` is gone, `StoreUnavailable`.
   */
  async terminate(signal: AbortSignal): Promise<void> {
    signal.throwIfAborted()
    try {
      // `.info` first, as tusd: once it is gone the upload is gone, even if this stops here.
      await this.#info.delete(signal)
      if (!this.#finished) await this.#data.commitBlockList([], { abortSignal: signal })
      await this.#data.delete({ deleteSnapshots: 'include', abortSignal: signal })
    } catch (error) {
      if (error instanceof UploadNotFound) throw error
      if (!isNotFound(error)) throw storeFailure(error, signal)
    }
  }

  /**
   * Streams the committed blob, or `range` of it, from a ranged download (retried where it breaks off).
   * Throws `UploadNotFound`, `RangeError` for a range outside it, `StoreUnavailable`.
   */
  async read(range: ByteRange | undefined, signal: AbortSignal): Promise<Readable> {
    signal.throwIfAborted()
    const size = this.#state.offset
    const { start, end } = range ?? { start: 0, end: size }
    if (!(Number.isSafeInteger(start) && Number.isSafeInteger(end) && start >= 0 && start <= end && end <= size)) {
      throw new RangeError(`range ${start}-${end} is not within the ${size} bytes of upload ${this.#id}`)
    }
    if (!this.#finished) throw new UploadIncomplete(this.#state.offset, this.#state.length)
    if (start === end) return Readable.from([], { objectMode: false })
    try {
      const response = await this.#data.download(start, end - start, { abortSignal: signal, maxRetryRequests: 5 })
      const stream = response.readableStreamBody
      if (!(stream instanceof Readable)) throw new Error('the download has no body')
      return stream
    } catch (error) {
      if (isNotFound(error)) throw new UploadNotFound(this.#id)
      throw storeFailure(error, signal)
    }
  }

  /**
   * Makes this final upload the partial uploads' bytes, in order: their committed blobs are copied into blocks
   * of this one (by Azure where it can: see `BlockCopier`) and committed in one call, all or nothing, so
   * `finished` is true once it resolves. A final upload of unknown length takes theirs. Throws `UploadNotFound`
   * naming the first missing partial upload (or this one), `RangeError` for uploads that are not final and
   * partial or a length that differs, `UploadIncomplete` for an unfinished partial upload, `StoreUnavailable`.
   */
  async concatenate(partials: readonly StoredUpload[], signal: AbortSignal): Promise<Upload> {
    signal.throwIfAborted()
    const { length } = this.#state
    const { blocks, total } = concatenationPlan(this.#state, partials, this.#context.dataBlob)
    // Every partial upload is there before a block is staged: a missing one leaves this upload as it was.
    await Promise.all([...new Set(partials.map((partial) => partial.state.id))].map((id) => this.#expectUpload(id, signal)))
    try {
      await this.#context.copier.copy(this.#data, blocks, signal)
    } catch (error) {
      throw storeFailure(error, signal)
    }
    await this.#commit(blocks.map(({ id, start, end }) => ({ id, size: end - start })), this.#context.accessTier, signal)
    this.#finished = true
    this.#lastAppend = undefined
    this.#state = { ...this.#state, offset: total, updatedAt: Date.now() }
    // After the bytes: a crash in between leaves a committed blob that is not the (unknown-length) upload,
    // which reads as a final upload not yet concatenated, and the service concatenates it again.
    if (length === undefined) await this.update({ length: total }, signal)
    return this.#state
  }

  /** Commits exactly `blocks` as the blob (Azure discards every other uncommitted block); `tier` for a finished upload. */
  async #commit(blocks: readonly Block[], tier: AccessTier | undefined, signal: AbortSignal): Promise<void> {
    try {
      await this.#data.commitBlockList(
        blocks.map((block) => block.id),
        { abortSignal: signal, ...(tier === undefined ? {} : { tier }) },
      )
    } catch (error) {
      throw storeFailure(error, signal, this.#state.offset)
    }
    this.#staged = []
  }

  /** Stages the blob's committed `blocks` again under their ids, then the sentinel: the upload is unfinished again. */
  async #restage(blocks: readonly Block[], signal: AbortSignal): Promise<void> {
    await this.#context.copier.copy(this.#data, restagePlan(blocks, this.#data), signal)
    await this.#data.stageBlock(SENTINEL_ID, Buffer.of(0), 1, { abortSignal: signal })
    this.#staged = [...blocks]
    this.#toRestage = undefined
  }

  /** Stamps the upload's last write on `.info`, which also proves the upload still exists. */
  async #touch(signal: AbortSignal): Promise<void> {
    const now = Date.now()
    this.#etag = await this.#info.touch(now, signal)
    this.#state = { ...this.#state, updatedAt: now }
  }

  /** Throws `UploadNotFound` naming `id` unless its `.info` and data blob are both there. */
  async #expectUpload(id: string, signal: AbortSignal): Promise<void> {
    try {
      await Promise.all([this.#context.infoBlob(id).exists(signal), this.#context.dataBlob(id).getProperties({ abortSignal: signal })])
    } catch (error) {
      if (error instanceof UploadNotFound) throw error
      throw isNotFound(error) ? new UploadNotFound(id) : storeFailure(error, signal)
    }
  }

  #stateOf(offset: number, updatedAt: number | undefined): Upload {
    return uploadFromInfo(this.#id, this.#json, { size: offset, ...(updatedAt === undefined ? {} : { modifiedAt: updatedAt }) }, this.#info.location)
  }
}
