/** True for a file system error saying the file or directory is not there. */
export function isNotFound(error: unknown): error is NodeJS.ErrnoException {
  return errnoCode(error) === 'ENOENT'
}

/** True for a file system error saying there is no room: the disk is full (ENOSPC) or the user's quota is (EDQUOT). */
export function isNoSpace(error: unknown): error is NodeJS.ErrnoException {
  const code = errnoCode(error)
  return code === 'ENOSPC' || code === 'EDQUOT'
}

function errnoCode(error: unknown): string | undefined {
  return error instanceof Error ? (error as NodeJS.ErrnoException).code : undefined
}
