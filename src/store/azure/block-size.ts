import type { Upload } from '../../model/upload.js'
import { MAX_BLOCK_BYTES, MAX_BLOCKS } from './block-ids.js'

const MiB = 1024 * 1024

/**
 * The size of the blocks an append to `upload` stages: `configured`, unless the upload is so large that its
 * blocks would run out (Azure commits at most 50,000 per blob). An upload of known length gets blocks of at
 * least a 40,000th of it (room for the short last block of 10,000 appends); one of deferred length grows its
 * blocks with its offset (a 10,000th of it), which reaches about 2 TiB within the limit from 4 MiB blocks.
 * Rounded up to whole MiB, at most Azure's 4000 MiB.
 */
export function blockSizeFor(upload: Upload, configured: number): number {
  const wanted = upload.length === undefined ? upload.offset / 10_000 : upload.length / (MAX_BLOCKS - 10_000)
  if (wanted <= configured) return configured
  return Math.min(MAX_BLOCK_BYTES, Math.ceil(wanted / MiB) * MiB)
}
