import type { Socket } from 'node:net'
import { openFileLimit } from './open-file-limit.js'

/** Caps on open connections; 0 turns one off. */
export interface ConnectionLimitOptions {
  /** Most connections open at once, on every protocol. */
  readonly maxConnections: number
  /** Most connections open at once from one client address. */
  readonly maxConnectionsPerIp: number
}

/** Why a connection is refused. */
export type Refusal = 'max-connections' | 'max-connections-per-ip'

// Descriptors left to the process itself: stdio, the listening socket, epoll, timers, log files.
const RESERVED_DESCRIPTORS = 32
// Assumed when the limit cannot be read: the usual soft limit.
const FALLBACK_DESCRIPTORS = 1024
// Past this, memory (socket buffers, HTTP/2 windows) runs out long before descriptors do.
const MOST_CONNECTIONS = 10_000

/**
 * The default connection limit for a process allowed `descriptors` open files (undefined: unknown, taken
 * as 1024): half of what is left
 * after a small reserve, so that every connection can still have an upload's files open (the file
 * store holds up to two per request: the data file and an `.info` being rewritten). At least 16, at
 * most 10,000. With 1024 descriptors that is 496; under `ulimit -n 256`, 112. An HTTP/2 connection's
 * streams that may hold files take a place each beyond the first (`reserve`), so the sum holds for HTTP/2 too.
 */
export function defaultMaxConnections(descriptors: number | undefined): number {
  const available = (descriptors ?? FALLBACK_DESCRIPTORS) - RESERVED_DESCRIPTORS
  return Math.min(MOST_CONNECTIONS, Math.max(16, Math.floor(available / 2)))
}

/**
 * The limits the gateway applies when its options leave them out: `maxConnections` from the open-file
 * limit, and per address half of that, so that no one client can take every connection (off behind a
 * proxy, where every connection comes from the proxy's address).
 */
export function resolveConnectionLimits(options: {
  maxConnections?: number
  maxConnectionsPerIp?: number
  behindProxy?: boolean
}): ConnectionLimitOptions {
  const maxConnections = options.maxConnections ?? defaultMaxConnections(openFileLimit())
  const perIpDefault = options.behindProxy === true || maxConnections === 0 ? 0 : Math.max(1, Math.floor(maxConnections / 2))
  return { maxConnections, maxConnectionsPerIp: options.maxConnectionsPerIp ?? perIpDefault }
}

/** Counts the open connections, in total and per client address, and decides whether a new one may stay. */
export class ConnectionLimits {
  readonly #options: ConnectionLimitOptions
  #open = 0
  readonly #perAddress = new Map<string, number>()

  constructor(options: ConnectionLimitOptions) {
    this.#options = options
  }

  /** Connections counted now. */
  get open(): number {
    return this.#open
  }

  /**
   * Counts `socket` until it closes and returns undefined, or returns why it is refused (then it is
   * not counted).
   */
  admit(socket: Socket): Refusal | undefined {
    const taken = this.#take(clientAddress(socket))
    if (typeof taken === 'string') return taken
    socket.once('close', taken)
    return undefined
  }

  /**
   * Takes one more place for `socket`'s client, as if it opened one more connection, for an HTTP/2 stream that
   * may hold a file beyond its connection's first (see Http2Sessions.admit). Returns the function that gives
   * it back (call it once), or undefined when a limit is reached.
   */
  reserve(socket: Socket): (() => void) | undefined {
    const taken = this.#take(clientAddress(socket))
    return typeof taken === 'string' ? undefined : taken
  }

  #take(address: string): Refusal | (() => void) {
    const { maxConnections, maxConnectionsPerIp } = this.#options
    if (maxConnections > 0 && this.#open >= maxConnections) return 'max-connections'
    const fromAddress = this.#perAddress.get(address) ?? 0
    if (maxConnectionsPerIp > 0 && fromAddress >= maxConnectionsPerIp) return 'max-connections-per-ip'
    this.#open += 1
    this.#perAddress.set(address, fromAddress + 1)
    return () => {
      this.#open -= 1
      const left = (this.#perAddress.get(address) ?? 1) - 1
      if (left === 0) this.#perAddress.delete(address)
      else this.#perAddress.set(address, left)
    }
  }
}

/** The client's address; an IPv4 client on an IPv6 socket counts as its IPv4 address. */
function clientAddress(socket: Socket): string {
  const address = socket.remoteAddress ?? 'unknown'
  return address.startsWith('::ffff:') ? address.slice(7) : address
}
