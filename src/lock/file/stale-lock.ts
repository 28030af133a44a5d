import { randomBytes } from 'node:crypto'
import { createExclusive, readIfThere, removeIfThere } from './file-ops.js'
import { formatLock, parseLock, type LockRecord } from './lock-files.js'
import { liveness, self } from './process-identity.js'

/** How a removal went: done, not needed any more (the file changed), or left to someone else for now. */
export type Removal = 'removed' | 'gone' | 'busy'

// Each level is one more remover that died in the middle of its removal: more than a few is no accident.
const MAX_DEPTH = 4

/**
 * Removes the lock file at `path` if it still records the grant `seen`, whose holder has died, and
 * nothing else, however many processes try at once.
 *
 * A plain "read, see a dead pid, unlink" (tusd's lockfile) is unsafe: two processes read the dead
 * holder's file; one removes it and takes the lock; the other, a moment late, unlinks the *new* lock
 * and takes it too. Files cannot be compared-and-deleted, so the removal is claimed first: the remover
 * creates `<path>.<token>.reap` exclusively (one winner per dead grant), then checks that `path` still
 * records that grant and unlinks it. Only the marker's holder unlinks a file with that token, a live
 * holder's file is never unlinked (only dead ones are), and tokens are never reused: the file it checks
 * cannot change before its unlink. A remover that dies in between leaves its marker, which is itself a
 * lock of a dead process, removed the same way one level up.
 *
 * Resolves `removed`, `gone` when `path` no longer records `seen` (someone was quicker), or `busy` when
 * a live process is removing it now (a file event follows once it is done). Throws file system errors.
 * Synchronous, as `file-ops.ts` explains.
 */
export function removeStaleLock(path: string, seen: LockRecord, depth = 0): Removal {
  if (depth > MAX_DEPTH) return 'busy'
  const marker = `${path}.${seen.token.replace(/[^A-Za-z0-9-]/g, '_')}.reap`
  const claim: LockRecord = { token: `reap-${randomBytes(8).toString('hex')}`, fence: 0, holder: self, asked: false }
  if (!createExclusive(marker, formatLock(claim))) {
    const other = parseLock(readIfThere(marker) ?? '')
    if (other !== undefined && liveness(other.holder) === 'dead') removeStaleLock(marker, other, depth + 1)
    return 'busy'
  }
  try {
    const now = parseLock(readIfThere(path) ?? '')
    if (now?.token !== seen.token) return 'gone'
    removeIfThere(path)
    return 'removed'
  } finally {
    removeIfThere(marker)
  }
}
