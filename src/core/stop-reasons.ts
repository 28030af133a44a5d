/**
 * Reasons a request's signal is aborted with, so that the service can tell a lock release
 * or a shutdown from a client that went away.
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
