import type { ContainerClient } from '@azure/storage-blob'
import { isNotFound } from './azure-errors.js'
import type { BlobNames } from './blob-names.js'

/** What `sweepLeftovers` needs: the blobs, their names, which ids are uploads', and how old a leftover must be. */
export interface LeftoverSweep {
  readonly container: ContainerClient
  readonly names: BlobNames
  isValidId(id: string): boolean
  /** Only data blobs last written before this many milliseconds ago are removed. */
  readonly graceMs: number
  readonly signal: AbortSignal
}

const INFO_SUFFIX = '.info'

/**
 * Removes data blobs without an `.info` (the upload is gone): what a termination that stopped between its two
 * deletes leaves, or blocks a handle of a terminated upload staged. Uncommitted blocks are listed too and
 * discarded with a commit of none. A blob is removed only once older than `graceMs` and while its `.info` is
 * still missing. Resolves with the committed bytes freed; throws Azure's failures and `signal.reason`.
 *
 * The listing is in name order, so a data blob's `.info` (`<name>.info`) comes after it: a data blob waits in
 * `pending` until its `.info` shows up or the listing has passed where it would be.
 */
export async function sweepLeftovers(sweep: LeftoverSweep): Promise<number> {
  const { container, names, signal } = sweep
  const cutoff = Date.now() - sweep.graceMs
  const pending = new Map<string, { readonly name: string; readonly bytes: number }>()
  let freed = 0
  const settle = async (before: string | undefined): Promise<void> => {
    for (const [info, blob] of pending) {
      if (before !== undefined && info >= before) continue
      pending.delete(info)
      freed += await removeOrphan(container, blob.name, info, signal).then((removed) => (removed ? blob.bytes : 0))
    }
  }
  for await (const item of container.listBlobsFlat({ prefix: names.prefix, includeUncommitedBlobs: true, abortSignal: signal })) {
    await settle(item.name)
    if (item.name.endsWith(INFO_SUFFIX)) {
      // The `.info` of a data blob listed before: that upload exists.
      pending.delete(item.name)
      continue
    }
    const id = item.name.slice(names.prefix.length)
    if (!sweep.isValidId(id) || item.properties.lastModified.getTime() > cutoff) continue
    pending.set(names.info(id), { name: item.name, bytes: item.properties.contentLength ?? 0 })
  }
  await settle(undefined)
  return freed
}

/** Deletes data blob `name` (uncommitted blocks first discarded) unless its `.info` exists now. Resolves with whether it did. */
async function removeOrphan(container: ContainerClient, name: string, info: string, signal: AbortSignal): Promise<boolean> {
  try {
    await container.getBlockBlobClient(info).getProperties({ abortSignal: signal })
    return false
  } catch (error) {
    if (!isNotFound(error)) throw error
  }
  const blob = container.getBlockBlobClient(name)
  await blob.commitBlockList([], { abortSignal: signal })
  await blob.delete({ deleteSnapshots: 'include', abortSignal: signal }).catch((error: unknown) => {
    if (!isNotFound(error)) throw error
  })
  return true
}
