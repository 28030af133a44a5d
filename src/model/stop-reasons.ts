import type { Answer } from './answer.js'

/**
 * Reasons a request's or a lock's signal is aborted with, so that the service can tell a lock release,
 * a stop request, a lost lock or a shutdown from a client that went away.
 */
export class ReleaseRequested extends Error {
  constructor() {
    super('another request asked for this upload')
    this.name = 'ReleaseRequested'
  }
}

/** The gateway is shutting down and asks in-flight uploads to save what they have. */
export class ShutdownRequested extends Error {
  constructor() {
    super('the gateway is shutting down')
    this.name = 'ShutdownRequested'
  }
}

/** The client closed its connection or stream. */
export class ClientGone extends Error {
  constructor() {
    super('the client went away')
    this.name = 'ClientGone'
  }
}

/**
 * Someone outside the request asked the holder of an upload to stop for good (tusd's `StopUpload`,
 * from a post-receive hook, on whichever host the request runs). The holder keeps what arrived, then the
 * upload is removed when `terminate` says so, and its client gets `answer` merged into the refusal.
 * Plain data, so that a locker can carry it to another process (JSON).
 */
export class StopRequested extends Error {
  constructor(readonly details: StopDetails = {}) {
    super('the upload was asked to stop')
    this.name = 'StopRequested'
  }
}

/** What a stop request carries: whether to remove the upload afterwards, and what its client hears. */
export interface StopDetails {
  /** Remove the upload once its request has stopped (tusd terminates a stopped upload). */
  readonly terminate?: boolean
  readonly answer?: Answer
}

/**
 * The holder's lock was lost (a Redis lease that could not be renewed in time): it must stop writing
 * at once, before the lock can be granted to anyone else.
 */
export class LockLoss extends Error {
  constructor(readonly id: string, options?: { cause?: unknown }) {
    super(`the lock on upload ${id} was lost`, options)
    this.name = 'LockLoss'
  }
}

/**
 * The reason an exchange's signal is aborted with when its body arrives too slowly: what arrived is
 * kept, as for a body that stalls (--network-timeout).
 */
export class BodyTooSlow extends Error {
  constructor(
    readonly minBytesPerSecond: number,
    readonly observedBytesPerSecond: number,
    readonly windowMs: number,
  ) {
    super(`the request body arrived at ${observedBytesPerSecond} bytes/s over ${windowMs} ms, below the minimum of ${minBytesPerSecond} bytes/s`)
    this.name = 'BodyTooSlow'
  }
}
