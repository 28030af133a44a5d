import type { Locker } from '../lock/locker.js'
import type { Store, StoreCapabilities } from '../store/store.js'
import type { UploadDelivery } from './delivery.js'
import type { UploadEvents } from './events.js'
import type { ExpirationPolicy } from './expiry/expiration.js'
import type { UploadHooks } from './hooks.js'

export interface ServiceOptions {
  readonly store: Store
  readonly locker: Locker
  /** The blocking hooks (pre-access, pre-create, pre-finish, pre-terminate); none by default. */
  readonly hooks?: UploadHooks
  /** Where lifecycle events go; a fresh bus by default (`service.events`). */
  readonly events?: UploadEvents
  /** Largest upload accepted, in bytes; 0 means no limit (the store's own limit applies anyway). */
  readonly maxSize: number
  /** How long a request waits for an upload's lock before giving up. */
  readonly acquireLockTimeoutMs: number
  /** How long a body may send nothing before it is stopped (its bytes kept); 0 turns it off. */
  readonly networkTimeoutMs: number
  /** How often `progress` is reported while a body streams (default 1 s; 0 never). */
  readonly progressIntervalMs?: number
  /** When uploads expire (tus `expiration`); undefined: never. Needs a store with `expire` and `terminate`. */
  readonly expiration?: ExpirationPolicy
  /** How many expired uploads are remembered, to answer "expired" rather than "not found" (default 10,000). */
  readonly expiredUploadsRemembered?: number
  /** The most partial uploads one final upload may name, a repeated one counted each time (default 128). */
  readonly maxPartials?: number
  /**
   * The largest final upload of a concatenation, in bytes, when `maxSize` sets no limit (default 64 GiB): a
   * final upload may name one small partial upload many times, and joining it writes all those copies.
   */
  readonly maxFinalSize?: number
  /** Hands complete uploads that have a target to it (upstream mode); none by default (then no creation may give one). */
  readonly delivery?: UploadDelivery
  /** Receives the errors of work done in the background (completing final uploads); must not throw. */
  readonly onBackgroundError?: (error: unknown, task: string) => void
}

/** What the service offers, for each protocol's discovery (one source of truth). */
export interface ServiceFeatures {
  readonly capabilities: StoreCapabilities
  /** The largest upload, in bytes, the gateway's and the store's limit together; 0 means none. */
  readonly maxSize: number
  readonly expiration: ExpirationPolicy | undefined
  /** Uploads can be delivered to a target (upstream mode). */
  readonly delivery: boolean
}
