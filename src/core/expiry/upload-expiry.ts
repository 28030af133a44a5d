import { isComplete, isPendingFinal, type Upload } from '../../model/upload.js'
import type { Concatenation } from '../concatenation.js'
import { expires, expiresAt, type ExpirationPolicy } from './expiration.js'
import type { ExpiredUploads } from './expired-uploads.js'

/**
 * When uploads expire under the gateway's policy, and which expired uploads are still remembered
 * (answered "410 Gone" rather than "404 Not Found"). Concatenation changes the clock: a finished partial
 * upload that a pending final upload still needs never expires, and a pending final upload lives as long
 * as its partial uploads receive bytes.
 */
export class UploadExpiry {
  readonly policy: ExpirationPolicy | undefined
  readonly #concatenation: Concatenation
  readonly #removed: ExpiredUploads

  constructor(policy: ExpirationPolicy | undefined, concatenation: Concatenation, removed: ExpiredUploads) {
    this.policy = expires(policy) ? policy : undefined
    this.#concatenation = concatenation
    this.#removed = removed
  }

  /** When `upload` expires, in milliseconds since the epoch; undefined when it never does. */
  async at(upload: Upload, signal: AbortSignal): Promise<number | undefined> {
    const { policy } = this
    if (policy === undefined) return undefined
    if (isComplete(upload) && (await this.#concatenation.awaitingFinal(upload, signal)) !== undefined) return undefined
    const activity = isPendingFinal(upload) ? await this.#concatenation.lastActivity(upload, signal) : upload.updatedAt
    return expiresAt(policy, upload, activity)
  }

  /** True when `upload` has expired by now. */
  async hasExpired(upload: Upload, signal: AbortSignal): Promise<boolean> {
    const at = await this.at(upload, signal)
    return at !== undefined && at <= Date.now()
  }

  /** The upload with `expiresAt` set as the policy says (and left out when it does not expire). */
  async annotate(upload: Upload, signal: AbortSignal): Promise<Upload> {
    const { expiresAt: _previous, ...rest } = upload
    if (this.policy === undefined) return rest
    const at = await this.at(rest, signal)
    return at === undefined ? rest : { ...rest, expiresAt: at }
  }

  /** Remembers that the upload was removed because it expired; never rejects. */
  remember(id: string): Promise<void> {
    return this.#removed.remember(id)
  }

  /** True when the upload was removed because it expired, and is still remembered; throws what the memory throws. */
  wasRemoved(id: string): Promise<boolean> {
    return this.#removed.wasRemoved(id)
  }
}
