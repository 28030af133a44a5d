/**
 * Checks this process runs right before a store sends a request to shared storage (S3, GCS), registered
 * by lockers whose locks are leases: once a paused process runs again (a VM freeze, SIGSTOP, a long
 * collection), its I/O callbacks come before its timers, so the answer to a request sent before the pause
 * could lead to a write (a commit) on a lease that ran out meanwhile, while another gateway holds the
 * lock. A check finds such a lease lost by the clock and aborts its holder's signals at once, so the
 * write is not sent.
 */
const checks = new Set<() => void>()

/** Runs `check` before every request to shared storage until the returned function is called. */
export function checkBeforeWrites(check: () => void): () => void {
  checks.add(check)
  return () => void checks.delete(check)
}

/** Runs every registered check; stores call it right before they send a request. */
export function beforeWrite(): void {
  for (const check of checks) check()
}
