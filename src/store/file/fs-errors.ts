import { isOutOfDescriptors } from '../../model/descriptor-shortage.js'
import { StorageFull, TooManyOpenFiles } from '../../model/errors.js'

/** True for a file system error saying the file or directory is not there. */
export function isNotFound(error: unknown): error is NodeJS.ErrnoException {
  return errnoCode(error) === 'ENOENT'
}

/** True for a file system error saying there is no room: the disk is full (ENOSPC) or the user's quota is (EDQUOT). */
export function isNoSpace(error: unknown): error is NodeJS.ErrnoException {
  const code = errnoCode(error)
  return code === 'ENOSPC' || code === 'EDQUOT'
}

/**
 * The fact a file system error stands for when it is a shortage a client can wait out: `StorageFull` (the bytes
 * kept, `offset`, when known) for a full disk or quota, `TooManyOpenFiles` when no descriptor is left; `error`
 * itself otherwise.
 */
export function shortageFact(error: unknown, offset?: number): unknown {
  if (isNoSpace(error)) return new StorageFull(offset, { cause: error })
  if (isOutOfDescriptors(error)) return new TooManyOpenFiles({ cause: error })
  return error
}

function errnoCode(error: unknown): string | undefined {
  return error instanceof Error ? (error as NodeJS.ErrnoException).code : undefined
}
