import { SENTINEL_INDEX, blockIndex } from './block-ids.js'

/** A block of a block blob: its id and size in bytes. */
export interface Block {
  readonly id: string
  readonly size: number
}

/** A blob's block list as Azure reports it (`getBlockList('all')`); undefined when there is no blob and no block. */
export interface BlockList {
  readonly committed: readonly Block[]
  readonly uncommitted: readonly Block[]
}

/** What an upload's `.info` says that the reading of its blocks depends on. */
export interface InfoFacts {
  /** The upload's length; undefined while it is deferred. */
  readonly length: number | undefined
  /** A final upload of a concatenation: its bytes come whole from its partial uploads, or not at all. */
  readonly final: boolean
}

/** An upload's bytes as its data blob's blocks hold them. */
export interface BlockState {
  /** The bytes stored: the upload's offset. */
  readonly offset: number
  /** The blob is committed and holds the whole upload: `finish` has run. */
  readonly finished: boolean
  /** The data blocks staged for the upload, in index order from 0: what `finish` commits. */
  readonly staged: readonly Block[]
  /**
   * The blocks of a blob committed before the upload was complete (a roll-back stopped between its commit and
   * staging the blocks again): they hold the upload's first bytes and must be staged again before it takes more.
   */
  readonly toRestage?: readonly Block[]
}

/**
 * Reads an upload's state from its data blob's block list, as tusd's azurestore does (`GetOffset`):
 * with no uncommitted block at all the blob is finished and its committed blocks are the upload; otherwise
 * the offset is the sum of the uncommitted data blocks, the sentinel left out, in index order.
 *
 * Two readings are stricter than tusd's, for states tusd never leaves: only the run of indexes from 0
 * counts (a block past a gap was staged by an append that failed before it, and will be overwritten), and a
 * committed blob that is not the whole upload is not finished (see `toRestage`). A final upload is either
 * committed whole or holds nothing: blocks of a concatenation that failed half-way count for nothing.
 */
export function readBlockState(list: BlockList | undefined, facts: InfoFacts): BlockState {
  if (list === undefined) return { offset: 0, finished: false, staged: [] }
  if (list.uncommitted.length === 0) {
    const size = sumOf(list.committed)
    if (facts.length !== undefined && size === facts.length) return { offset: size, finished: true, staged: [] }
    if (facts.final) return { offset: 0, finished: false, staged: [] }
    return { offset: size, finished: false, staged: [], toRestage: list.committed }
  }
  if (facts.final) return { offset: 0, finished: false, staged: [] }
  const staged = stagedRun(list.uncommitted)
  return { offset: sumOf(staged), finished: false, staged }
}

/** The uncommitted data blocks whose indexes run 0, 1, 2, ... without a gap, in that order. */
function stagedRun(uncommitted: readonly Block[]): Block[] {
  const byIndex = new Map<number, Block>()
  for (const block of uncommitted) {
    const index = blockIndex(block.id)
    if (index !== undefined && index !== SENTINEL_INDEX) byIndex.set(index, block)
  }
  const run: Block[] = []
  for (let block = byIndex.get(0); block !== undefined; block = byIndex.get(run.length)) run.push(block)
  return run
}

/** The bytes of `blocks`. */
export function sumOf(blocks: readonly Block[]): number {
  return blocks.reduce((sum, block) => sum + block.size, 0)
}
