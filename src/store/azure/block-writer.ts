import { blockId } from './block-ids.js'
import type { BlockBuffers } from './block-buffers.js'
import type { Block } from './block-state.js'

/** What a `BlockWriter` needs: where its memory comes from, how big a block is, and how to stage one. */
export interface BlockWriterOptions {
  readonly buffers: BlockBuffers
  /** Bytes per block; the last block of an append may be shorter. */
  readonly blockSize: number
  /** The index of the first block to stage. */
  readonly firstIndex: number
  /** Stages `bytes` as block `index`; resolves once Azure holds it. */
  stage(index: number, bytes: Buffer, signal: AbortSignal): Promise<void>
  /** Called with each block Azure holds, in index order, before the next one is staged. */
  onStaged(block: Block): void
  /** Stops waiting for memory: the request was asked to let go (the chunk that found none is dropped). */
  readonly signal: AbortSignal
  /** Aborts a block on its way to Azure (the request's signal, after a grace period). */
  readonly stageSignal: AbortSignal
}

/**
 * Cuts a stream of chunks into blocks of `blockSize` bytes and stages them one after the other as they fill,
 * while the next block fills: at most two buffers per append. Blocks go to Azure strictly in order and the
 * next one only once the last is confirmed, so Azure never holds a block after one it lost (a gap would make
 * the stored bytes a lie). `end` stages what is left, however short: the bytes that arrived are kept.
 */
export class BlockWriter {
  readonly #options: BlockWriterOptions
  #index: number
  #buffer: Buffer | undefined
  #filled = 0
  #inFlight: Promise<void> | undefined
  #failure: { readonly error: unknown } | undefined
  /** A block left for Azure whose fate is unknown: it failed or was aborted, yet may have been stored. */
  #uncertain = false

  constructor(options: BlockWriterOptions) {
    this.#options = options
    this.#index = options.firstIndex
  }

  /** Why a block failed, once one has; no block is staged after it. */
  get failure(): { readonly error: unknown } | undefined {
    return this.#failure
  }

  /** Whether a block may be in Azure although it was not confirmed (it failed or was aborted on its way). */
  get uncertain(): boolean {
    return this.#uncertain
  }

  /**
   * Copies `chunk` into blocks, staging each one that fills. Resolves once the chunk is copied, or dropped
   * (what did not fit) when `signal` aborts while it waits for memory. Throws the failure of a block.
   */
  async write(chunk: Uint8Array): Promise<void> {
    const { buffers, blockSize, signal } = this.#options
    for (let at = 0; at < chunk.length; ) {
      if (this.#failure !== undefined) throw this.#failure.error
      if (this.#buffer === undefined) {
        try {
          this.#buffer = await buffers.acquire(blockSize, signal)
        } catch (error) {
          if (signal.aborted) return
          throw error
        }
        this.#filled = 0
      }
      const copied = Math.min(chunk.length - at, this.#buffer.length - this.#filled)
      this.#buffer.set(chunk.subarray(at, at + copied), this.#filled)
      this.#filled += copied
      at += copied
      if (this.#filled === this.#buffer.length) await this.#handOff()
    }
  }

  /** Stages what is left and waits for every block. Throws the failure of a block (the blocks before it are kept). */
  async end(): Promise<void> {
    try {
      await this.#settle()
      if (this.#filled > 0) await this.#handOff()
      await this.#settle()
    } finally {
      if (this.#buffer !== undefined) this.#options.buffers.release(this.#buffer)
      this.#buffer = undefined
      this.#filled = 0
    }
  }

  /** Waits for the block in flight, then sends the filled buffer on its way. */
  async #handOff(): Promise<void> {
    await this.#settle()
    const buffer = this.#buffer as Buffer
    const size = this.#filled
    this.#buffer = undefined
    this.#filled = 0
    this.#inFlight = this.#stage(this.#index++, buffer, size)
  }

  async #stage(index: number, buffer: Buffer, size: number): Promise<void> {
    try {
      await this.#options.stage(index, buffer.subarray(0, size), this.#options.stageSignal)
      this.#options.onStaged({ id: blockId(index), size })
    } catch (error) {
      this.#failure ??= { error }
      this.#uncertain = true
    } finally {
      this.#options.buffers.release(buffer)
    }
  }

  async #settle(): Promise<void> {
    await this.#inFlight
    this.#inFlight = undefined
    if (this.#failure !== undefined) throw this.#failure.error
  }
}
