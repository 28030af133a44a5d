import { isCoreError, TooManyOpenFiles } from './errors.js'

const MAX_CAUSES = 8

/**
 * `TooManyOpenFiles` when `thrown`, or an error that caused it, says the process (EMFILE) or the system (ENFILE) has
 * no file descriptor left, wherever it came from (an S3 part buffered in a file, a hook's process, a socket to a
 * backend); undefined otherwise. The causes are followed up to the first core error, which names its fact itself.
 */
export function descriptorShortage(thrown: unknown): TooManyOpenFiles | undefined {
  let error = thrown
  for (let depth = 0; depth < MAX_CAUSES && error instanceof Error && !isCoreError(error); depth++) {
    if (isOutOfDescriptors(error)) return new TooManyOpenFiles({ cause: thrown })
    error = error.cause
  }
  return undefined
}

/** True for an error saying no file descriptor is left: for this process (EMFILE) or the whole system (ENFILE). */
export function isOutOfDescriptors(error: unknown): error is NodeJS.ErrnoException {
  const code = error instanceof Error ? (error as NodeJS.ErrnoException).code : undefined
  return code === 'EMFILE' || code === 'ENFILE'
}
