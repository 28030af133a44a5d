import { PassThrough } from 'node:stream'
import { BlobSASPermissions, type BlockBlobClient } from '@azure/storage-blob'
import { eitherSignal } from '../../model/either-signal.js'
import { isCopyRefused } from './azure-errors.js'

/** One block to stage from a range of another blob's committed bytes: `start` inclusive, `end` exclusive. */
export interface CopiedBlock {
  readonly id: string
  readonly source: BlockBlobClient
  readonly start: number
  readonly end: number
}

/** How blocks are copied: by Azure itself (`Put Block From URL`), or through this process. */
export type CopyMode = 'server' | 'streamed'

// Blocks copied side by side: enough to keep the pipe full, few enough not to flood the account.
const PARALLEL_COPIES = 4
// How long the source's read-only SAS lives: a copy of 4 blocks of 100 MiB takes far less.
const SAS_LIFETIME_MS = 60 * 60 * 1000

/**
 * Stages blocks whose bytes are ranges of committed blobs (concatenation, and staging a committed blob's blocks
 * again after a roll-back). Azure copies them itself with `stageBlockFromURL` (the source named by a
 * read-only SAS URL), so no byte passes through the gateway. Where that is refused (Azurite answers 501, Azure
 * cannot read the source, or a store without the account key cannot sign a SAS), the copier remembers it and
 * streams each range from a download into `stageBlock` instead: one socket buffer per block, never a block in memory.
 */
export class BlockCopier {
  #serverSide: boolean

  /** `serverSide`: try Azure's copy first (default); false streams every copy. */
  constructor(serverSide = true) {
    this.#serverSide = serverSide
  }

  /** How the next copy will go. */
  get mode(): CopyMode {
    return this.#serverSide ? 'server' : 'streamed'
  }

  /**
   * Stages `blocks` on `target`, a few at a time. Rejects with the first failure (blocks staged before it stay
   * staged: the caller decides what they are worth), or with the SDK's AbortError once `signal` aborts.
   */
  async copy(target: BlockBlobClient, blocks: readonly CopiedBlock[], signal: AbortSignal): Promise<void> {
    let next = 0
    // The first failure stops the copies still running: their blocks would count for nothing.
    const failed = new AbortController()
    const linked = eitherSignal(signal, failed.signal)
    const both = linked.signal
    const worker = async (): Promise<void> => {
      while (!both.aborted && next < blocks.length) {
        const block = blocks[next++] as CopiedBlock
        try {
          await this.#copyOne(target, block, both)
        } catch (error) {
          failed.abort(error)
          throw error
        }
      }
    }
    const workers = Array.from({ length: Math.min(PARALLEL_COPIES, blocks.length) }, worker)
    // Settled all before answering, so nothing of this copy still runs once it has failed.
    const results = await Promise.allSettled(workers)
    linked.unlink()
    for (const result of results) if (result.status === 'rejected') throw failed.signal.reason ?? result.reason
  }

  async #copyOne(target: BlockBlobClient, block: CopiedBlock, signal: AbortSignal): Promise<void> {
    if (block.end <= block.start) throw new RangeError(`an empty block cannot be staged (${block.start}-${block.end})`)
    if (this.#serverSide) {
      const url = await sourceUrl(block.source)
      if (url !== undefined) {
        try {
          await target.stageBlockFromURL(block.id, url, block.start, block.end - block.start, { abortSignal: signal })
          return
        } catch (error) {
          if (!isCopyRefused(error)) throw error
        }
      }
      this.#serverSide = false
    }
    await stageStreamed(target, block, signal)
  }
}

/** A read-only SAS URL of `source`, or undefined when its client has no account key to sign one with. */
async function sourceUrl(source: BlockBlobClient): Promise<string | undefined> {
  try {
    return await source.generateSasUrl({ permissions: BlobSASPermissions.parse('r'), expiresOn: new Date(Date.now() + SAS_LIFETIME_MS) })
  } catch (error) {
    // The SDK signs a SAS with a shared key only, and says so with a RangeError.
    if (error instanceof RangeError) return undefined
    throw error
  }
}

/**
 * Stages a block whose body is a download of the range, piped as it arrives. A download that fails would
 * leave the upload hanging (the SDK pipes the body into the request, and a broken pipe does not end it), so
 * it aborts the upload and its own error is what the copy rejects with.
 */
async function stageStreamed(target: BlockBlobClient, block: CopiedBlock, signal: AbortSignal): Promise<void> {
  const count = block.end - block.start
  const stop = new AbortController()
  const linked = eitherSignal(signal, stop.signal)
  const both = linked.signal
  let downloadFailure: { readonly error: unknown } | undefined
  // The SDK calls this once per try, so a retried upload downloads the range again.
  const body = (): NodeJS.ReadableStream => {
    const pipe = new PassThrough()
    const fail = (error: unknown): void => {
      downloadFailure ??= { error }
      pipe.destroy(error instanceof Error ? error : new Error(String(error)))
      stop.abort(error)
    }
    block.source.download(block.start, count, { abortSignal: both, maxRetryRequests: 3 }).then(
      (response) => {
        const stream = response.readableStreamBody
        if (stream === undefined) throw new Error('the download has no body')
        stream.on('error', (error: unknown) => fail(error))
        stream.pipe(pipe)
      },
      (error: unknown) => fail(error),
    )
    return pipe
  }
  try {
    await target.stageBlock(block.id, body, count, { abortSignal: both })
  } catch (error) {
    throw downloadFailure?.error ?? error
  } finally {
    linked.unlink()
  }
}
