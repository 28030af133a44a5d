import { awaitsDelivery, isComplete, type Upload } from '../../model/upload.js'

/**
 * When uploads expire (tus `expiration`). An unfinished upload (also one that awaits its delivery) expires `unfinishedAfterMs` after its last
 * write; a finished one only if `finishedAfterMs` says so. 0 means never.
 */
export interface ExpirationPolicy {
  readonly unfinishedAfterMs: number
  readonly finishedAfterMs: number
}

/** True when the policy lets some upload expire. */
export function expires(policy: ExpirationPolicy | undefined): policy is ExpirationPolicy {
  return policy !== undefined && (policy.unfinishedAfterMs > 0 || policy.finishedAfterMs > 0)
}

/**
 * When `upload` expires under `policy`, counted from `lastActivity` (by default its last write), in
 * milliseconds since the epoch; undefined when it never does or its last write is not known.
 */
export function expiresAt(policy: ExpirationPolicy, upload: Upload, lastActivity = upload.updatedAt): number | undefined {
  if (lastActivity === undefined) return undefined
  // An upload its target has not taken yet (upstream mode) gave its client no final answer: it is unfinished.
  const after = isComplete(upload) && !awaitsDelivery(upload) ? policy.finishedAfterMs : policy.unfinishedAfterMs
  return after > 0 ? lastActivity + after : undefined
}
