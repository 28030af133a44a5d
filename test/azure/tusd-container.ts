import type { ContainerClient } from '@azure/storage-blob'

// A container as tusd v2.10's azurestore writes it (TUSD-COMPAT.md §3.2, tusd:pkg/azurestore), built blob by
// blob with the SDK: `<prefix>/<id>.info` (FileInfo as Go's encoding/json marshals it: fields in struct order,
// map keys sorted, a nil slice as null; no blob metadata) and a block blob `<prefix>/<id>` with one block per
// PATCH, ids base64(uint32 little-endian index), tusd's 1-byte sentinel `////fw==` staged at creation and
// never committed, and the blocks committed in index order when the upload finished.

/** One upload as tusd left it. */
export interface TusdUpload {
  readonly id: string
  /** Undefined: created with Upload-Defer-Length and not declared yet. */
  readonly size?: number
  readonly metadata: Readonly<Record<string, string>>
  /** The body of each PATCH tusd took, in order: one block each. */
  readonly patches: readonly string[]
  /** tusd's FinishUpload ran: the blocks are committed. */
  readonly finished: boolean
  /** Staged by tusd 2.10 at creation (and by 2.9.1, empty); earlier versions staged none. */
  readonly sentinel: boolean
  /** Stage the blocks in this order of their indexes rather than as tusd sent them (Azure lists them by id anyway). */
  readonly stageOrder?: readonly number[]
}

const SENTINEL = '////fw=='

/** tusd's `blockIDIntToBase64`. */
export function tusdBlockId(index: number): string {
  const bytes = Buffer.alloc(4)
  bytes.writeUInt32LE(index)
  return bytes.toString('base64')
}

/** The `.info` text tusd writes for `upload` in `container` under `prefix` (tusd adds the `/`). */
export function tusdInfo(container: string, prefix: string, upload: TusdUpload): string {
  const key = `${prefix}/${upload.id}`
  const metadata = Object.fromEntries(Object.entries(upload.metadata).sort(([a], [b]) => (a < b ? -1 : 1)))
  // Key order matters to nobody but a reader comparing files; it is Go's: the struct's fields in order.
  return JSON.stringify({
    ID: upload.id,
    Size: upload.size ?? 0,
    SizeIsDeferred: upload.size === undefined,
    Offset: 0,
    MetaData: metadata,
    IsPartial: false,
    IsFinal: false,
    PartialUploads: null,
    Storage: { Container: container, Key: key, Type: 'azurestore' },
  })
}

/** Writes `upload` into `container` as tusd would have: `.info` first, then the sentinel, the blocks, the commit. */
export async function writeTusdUpload(container: ContainerClient, prefix: string, upload: TusdUpload): Promise<void> {
  const info = tusdInfo(container.containerName, prefix, upload)
  await container.getBlockBlobClient(`${prefix}/${upload.id}.info`).upload(info, Buffer.byteLength(info))
  const data = container.getBlockBlobClient(`${prefix}/${upload.id}`)
  if (upload.sentinel) await data.stageBlock(SENTINEL, Buffer.of(0), 1)
  const order = upload.stageOrder ?? upload.patches.map((_, index) => index)
  for (const index of order) {
    const body = Buffer.from(upload.patches[index] as string)
    await data.stageBlock(tusdBlockId(index), body, body.length)
  }
  if (upload.finished) await data.commitBlockList(upload.patches.map((_, index) => tusdBlockId(index)))
}
