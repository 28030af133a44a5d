import type { BlockBlobClient } from '@azure/storage-blob'
import { StorageFull, UploadIncomplete } from '../../model/errors.js'
import type { Upload } from '../../model/upload.js'
import type { StoredUpload } from '../store.js'
import { MAX_BLOCKS, blockId } from './block-ids.js'
import type { CopiedBlock } from './block-copier.js'
import type { Block } from './block-state.js'

/** The bytes of one block copied from a committed blob: well below Azure's 4000 MiB, so a failed try costs little. */
export const COPY_BLOCK_BYTES = 100 * 1024 * 1024

/**
 * The blocks of final upload `final` made of `partials` (finished partial uploads, in order, repeats included):
 * each partial upload's committed blob in pieces of `COPY_BLOCK_BYTES`, ids from index 0, and the total bytes.
 * Throws `RangeError` for uploads that are not final and partial or a length that differs, `UploadIncomplete`
 * for an unfinished partial upload, `StorageFull` past Azure's 50,000 blocks.
 */
export function concatenationPlan(
  final: Upload,
  partials: readonly StoredUpload[],
  dataBlob: (id: string) => BlockBlobClient,
): { blocks: CopiedBlock[]; total: number } {
  if (final.concat?.kind !== 'final') throw new RangeError(`upload ${final.id} is not a final upload`)
  for (const { state, finished } of partials) {
    if (state.concat?.kind !== 'partial') throw new RangeError(`upload ${state.id} is not a partial upload`)
    if (!finished) throw new UploadIncomplete(state.offset, state.length)
  }
  const total = partials.reduce((sum, partial) => sum + partial.state.offset, 0)
  if (final.length !== undefined && final.length !== total) throw new RangeError(`the partial uploads hold ${total} bytes, final upload ${final.id} ${final.length}`)
  const blocks: CopiedBlock[] = []
  for (const { state } of partials) {
    const source = dataBlob(state.id)
    for (let start = 0; start < state.offset; start += COPY_BLOCK_BYTES) {
      blocks.push({ id: blockId(blocks.length), source, start, end: Math.min(state.offset, start + COPY_BLOCK_BYTES) })
    }
  }
  if (blocks.length > MAX_BLOCKS) throw new StorageFull(0)
  return { blocks, total }
}

/** A committed blob's `blocks`, to be staged again under their own ids from the same blob. */
export function restagePlan(blocks: readonly Block[], source: BlockBlobClient): CopiedBlock[] {
  let start = 0
  return blocks.map((block) => {
    const copied = { id: block.id, source, start, end: start + block.size }
    start += block.size
    return copied
  })
}
