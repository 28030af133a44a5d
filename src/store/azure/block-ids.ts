/**
 * Block ids as tusd's azurestore writes them: the base64 of a 4-byte little-endian index (0 = `AAAAAA==`,
 * 1 = `AQAAAA==`). Azure wants every block id of a blob to be of one length, so every id here is 4 bytes.
 */

/** The most committed blocks a block blob holds (Azure's limit). */
export const MAX_BLOCKS = 50_000

/** The largest block Azure stages (4000 MiB), as tusd's `MaxStageBlockBytes`. */
export const MAX_BLOCK_BYTES = 4000 * 1024 * 1024

/**
 * tusd's sentinel: a 1-byte block staged at creation and never committed, so that "no uncommitted blocks"
 * means "finished" even where blob versioning leaves committed blocks behind. Its index, the largest int32,
 * is far above any data block's.
 */
export const SENTINEL_INDEX = 0x7fffffff

/** The block id of data block `index` (0 to 2^32 - 1). Throws `RangeError` for anything else. */
export function blockId(index: number): string {
  if (!(Number.isInteger(index) && index >= 0 && index <= 0xffffffff)) throw new RangeError(`not a block index: ${index}`)
  const bytes = Buffer.alloc(4)
  bytes.writeUInt32LE(index)
  return bytes.toString('base64')
}

/** `////fw==`, the id of tusd's sentinel block. */
export const SENTINEL_ID = blockId(SENTINEL_INDEX)

/** The index a block id stands for, or undefined for an id that is not the base64 of 4 bytes (not tusd's). */
export function blockIndex(id: string): number | undefined {
  if (!/^[A-Za-z0-9+/]{6}==$/.test(id)) return undefined
  const bytes = Buffer.from(id, 'base64')
  // A canonical encoding only: `AAAAAB==` decodes to the same bytes as `AAAAAA==` but is another block.
  if (bytes.length !== 4 || bytes.toString('base64') !== id) return undefined
  return bytes.readUInt32LE()
}
