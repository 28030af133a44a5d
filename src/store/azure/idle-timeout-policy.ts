import http from 'node:http'
import https from 'node:https'
import type { Duplex } from 'node:stream'
import type { RequestPolicyFactory } from '@azure/storage-blob'

/**
 * A pipeline policy that ends a try when its connection carries nothing for `idleMs`: the SDK's `tryTimeoutInMs`
 * only asks Azure to give up (`?timeout=`), so a silent Azure (a hung host, a dropped route) held a call, and the
 * upload's lock with it, for as long as it stayed silent. The socket is destroyed with `ETIMEDOUT`, which the SDK's
 * retry policy retries like any other network failure; after the last try the store answers 503.
 */
export function idleTimeoutPolicy(idleMs: number): RequestPolicyFactory {
  const agents = { http: new IdleHttpAgent(idleMs), https: new IdleHttpsAgent(idleMs) }
  return {
    create: (next) => ({
      sendRequest: (request) => {
        request.agent ??= request.url.startsWith('https:') ? agents.https : agents.http
        return next.sendRequest(request)
      },
    }),
  }
}

/** Keep-alive connections that destroy themselves after `idleMs` without a byte either way. */
class IdleHttpAgent extends http.Agent {
  readonly #idleMs: number

  constructor(idleMs: number) {
    // `timeout` keeps the same idle timeout on a connection while it waits in the pool.
    super({ keepAlive: true, timeout: idleMs })
    this.#idleMs = idleMs
  }

  override createConnection(options: http.ClientRequestArgs, callback?: (error: Error | null, stream: Duplex) => void): Duplex | null | undefined {
    return endWhenIdle(super.createConnection(options, callback), this.#idleMs)
  }
}

/** The same for TLS. */
class IdleHttpsAgent extends https.Agent {
  readonly #idleMs: number

  constructor(idleMs: number) {
    super({ keepAlive: true, timeout: idleMs })
    this.#idleMs = idleMs
  }

  override createConnection(options: https.RequestOptions, callback?: (error: Error | null, stream: Duplex) => void): Duplex | null | undefined {
    return endWhenIdle(super.createConnection(options, callback), this.#idleMs)
  }
}

function endWhenIdle(connection: Duplex | null | undefined, idleMs: number): Duplex | null | undefined {
  const socket = connection as (Duplex & { setTimeout?: (ms: number, listener: () => void) => void }) | null | undefined
  socket?.setTimeout?.(idleMs, () => socket.destroy(Object.assign(new Error(`Azure sent nothing for ${idleMs} ms`), { code: 'ETIMEDOUT' })))
  return connection
}
