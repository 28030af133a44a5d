import type { HttpOperationResponse, RequestPolicy, WebResource } from '@azure/storage-blob'
import { describe, expect, it } from 'vitest'
import { idleTimeoutPolicy } from './idle-timeout-policy.js'

/** The agent a request leaves the policy with. */
async function agentAfter(env: NodeJS.ProcessEnv, url: string): Promise<unknown> {
  // The fields the policy reads and sets, as the SDK's request has them.
  const request = { url, headers: {} } as unknown as WebResource
  const last: RequestPolicy = { sendRequest: async (sent) => ({ request: sent, status: 200, headers: sent.headers }) as HttpOperationResponse }
  const policy = idleTimeoutPolicy(1000, env).create(last, { log: () => {}, shouldLog: () => false })
  await policy.sendRequest(request)
  return request.agent
}

describe('idleTimeoutPolicy', () => {
  it('gives each request an agent whose connections end when idle, http or https', async () => {
    const plain = (await agentAfter({}, 'http://127.0.0.1:10000/devstoreaccount1/c')) as { options: { timeout: number; keepAlive: boolean } }
    expect(plain.options).toMatchObject({ timeout: 1000, keepAlive: true })
    const secure = (await agentAfter({}, 'https://account.blob.core.windows.net/c')) as { options: { timeout: number }; protocol: string }
    expect([secure.protocol, secure.options.timeout]).toEqual(['https:', 1000])
  })

  it('leaves the agent to the SDK behind a proxy (its proxy policy gives way to an agent already set)', async () => {
    for (const name of ['HTTPS_PROXY', 'http_proxy', 'ALL_PROXY']) {
      expect(await agentAfter({ [name]: 'http://proxy.invalid:3128' }, 'https://account.blob.core.windows.net/c'), name).toBeUndefined()
    }
  })
})
