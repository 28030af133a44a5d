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
export function idleTimeoutPolicy(idleMs: number, env: NodeJS.ProcessEnv = process.env): RequestPolicyFactory {
  const options = { keepAlive: true, timeout: idleMs }
  const agents = { http: endingWhenIdle(new http.Agent(options), idleMs), https: endingWhenIdle(new https.Agent(options), idleMs) }
  // The SDK's proxy policy gives way to an agent already set: through a proxy, the SDK's own agent and the proxy's
  // timeouts stay.
  const proxied = PROXY_VARIABLES.some((name) => (env[name] ?? '') !== '')
  return {
    create: (next) => ({
      sendRequest: (request) => {
        if (!proxied && request.proxySettings === undefined) request.agent ??= request.url.startsWith('https:') ? agents.https : agents.http
        return next.sendRequest(request)
      },
    }),
  }
}

// The variables the SDK takes a proxy from.
const PROXY_VARIABLES = ['HTTPS_PROXY', 'https_proxy', 'HTTP_PROXY', 'http_proxy', 'ALL_PROXY', 'all_proxy']

/**
 * `agent`, its connections destroying themselves after `idleMs` without a byte either way (created with a
 * `timeout` of `idleMs`, the agent keeps the same idle timeout on a connection while it waits in the pool).
 */
function endingWhenIdle<A extends http.Agent>(agent: A, idleMs: number): A {
  const connect = agent.createConnection.bind(agent) as (options: object, callback?: (error: Error | null, stream: Duplex) => void) => Duplex | null | undefined
  agent.createConnection = (options, callback) => {
    const connection = connect(options, callback) as (Duplex & { setTimeout?: (ms: number, listener: () => void) => void }) | null | undefined
    connection?.setTimeout?.(idleMs, () => connection.destroy(Object.assign(new Error(`Azure sent nothing for ${idleMs} ms`), { code: 'ETIMEDOUT' })))
    return connection
  }
  return agent
}
