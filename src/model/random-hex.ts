import { randomFillSync } from 'node:crypto'

// Random bytes drawn from the system's generator 4 KiB at a time: one call costs ~20 us on the test machines
// (OpenSSL's locks and fork check), paid twice per request when each id drew its own. Node's randomUUID caches
// the same way.
const POOL_SIZE = 4096
const pool = Buffer.alloc(POOL_SIZE)
let used = POOL_SIZE

/** `bytes` (at most 4096) cryptographically random bytes as 2 x `bytes` lowercase hex characters. */
export function randomHex(bytes: number): string {
  if (!(Number.isInteger(bytes) && bytes > 0 && bytes <= POOL_SIZE)) throw new RangeError(`randomHex takes 1 to ${POOL_SIZE} bytes, not ${bytes}`)
  if (used + bytes > POOL_SIZE) {
    randomFillSync(pool)
    used = 0
  }
  const hex = pool.toString('hex', used, used + bytes)
  used += bytes
  return hex
}
