import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { httpRequestOf, NO_FILE_INFO, encodeHookRequest, type HookRequest } from './hook-request.js'
import { HttpHookBackend, type HttpHookOptions } from './http-backend.js'
import { EMPTY_HOOK_RESPONSE } from './hook-response.js'

type Handler = (request: IncomingMessage, body: string, response: ServerResponse) => void

const servers: Server[] = []
const backends: HttpHookBackend[] = []

afterEach(async () => {
  await Promise.all(backends.splice(0).map((backend) => backend.close()))
  for (const server of servers.splice(0)) {
    server.closeAllConnections()
    await new Promise((resolve) => server.close(resolve))
  }
})

async function hookServer(handler: Handler): Promise<{ url: string; calls: { headers: IncomingMessage['headers']; body: string }[] }> {
  const calls: { headers: IncomingMessage['headers']; body: string }[] = []
  const server = createServer((request, response) => {
    const chunks: Buffer[] = []
    request.on('data', (chunk: Buffer) => chunks.push(chunk))
    request.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8')
      calls.push({ headers: request.headers, body })
      handler(request, body, response)
    })
  })
  servers.push(server)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`, calls }
}

const json = (status: number, body: unknown, contentType = 'application/json'): Handler => (_request, _body, response) => {
  response.writeHead(status, { 'content-type': contentType }).end(typeof body === 'string' ? body : JSON.stringify(body))
}

function backend(options: HttpHookOptions): HttpHookBackend {
  const made = new HttpHookBackend({ backoffMs: 10, ...options })
  backends.push(made)
  return made
}

const request: HookRequest = {
  Type: 'pre-create',
  Event: { Upload: NO_FILE_INFO, HTTPRequest: httpRequestOf({ protocol: 'tus-v1', method: 'POST', uri: '/files/', headers: { authorization: ['Bearer t'], 'x-tenant': ['a', 'b'], host: ['h'] } }) },
}
const call = (signal = new AbortController().signal) => ({ request, body: encodeHookRequest(request), signal })

describe('HttpHookBackend', () => {
  it('POSTs the JSON as application/json, without Hook-Name, forwarding the headers asked for under the names given', async () => {
    const { url, calls } = await hookServer(json(200, { HTTPResponse: { StatusCode: 201 } }))
    const response = await backend({ url, forwardHeaders: ['Authorization', 'X-TENANT', 'X-Missing'] }).invoke(call())
    expect(response.HTTPResponse.StatusCode).toBe(201)
    expect(calls).toHaveLength(1)
    expect(calls[0]?.body).toBe(encodeHookRequest(request))
    expect(calls[0]?.headers).toMatchObject({ 'content-type': 'application/json', authorization: 'Bearer t', 'x-tenant': 'a, b' })
    expect(calls[0]?.headers['hook-name']).toBeUndefined()
    expect(calls[0]?.headers['x-missing']).toBeUndefined()
  })

  it('tries again on a 5xx, up to `attempts` in all (pester counts the first), and takes a later success', async () => {
    let n = 0
    const { url, calls } = await hookServer((req, body, res) => (++n < 3 ? json(503, 'busy', 'text/plain')(req, body, res) : json(200, {})(req, body, res)))
    expect(await backend({ url, attempts: 3 }).invoke(call())).toEqual(EMPTY_HOOK_RESPONSE)
    expect(calls).toHaveLength(3)
  })

  it('fails after the last attempt with the status and body the hook gave', async () => {
    const { url, calls } = await hookServer(json(500, 'database down', 'text/plain'))
    await expect(backend({ url, attempts: 2 }).invoke(call())).rejects.toThrow('unexpected response code from hook endpoint (500): database down')
    expect(calls).toHaveLength(2)
  })

  it('does not try again on a 4xx, 429 included', async () => {
    for (const status of [400, 429]) {
      const { url, calls } = await hookServer(json(status, 'no', 'text/plain'))
      await expect(backend({ url, attempts: 3 }).invoke(call())).rejects.toThrow(`(${status})`)
      expect(calls).toHaveLength(1)
    }
  })

  it('tries again when the hook cannot be reached, then fails', async () => {
    const { url } = await hookServer(json(200, {}))
    const closed = servers.pop() as Server
    await new Promise((resolve) => closed.close(resolve))
    await expect(backend({ url, attempts: 2 }).invoke(call())).rejects.toThrow(/could not be reached.*ECONNREFUSED/)
  })

  it('gives all attempts one deadline', async () => {
    const { url, calls } = await hookServer(() => {})
    await expect(backend({ url, attempts: 3, timeoutMs: 150 }).invoke(call())).rejects.toThrow('the hook did not answer within 150 ms')
    expect(calls).toHaveLength(1)
  })

  it('stops when the caller gives up, with its reason', async () => {
    const { url } = await hookServer(() => {})
    const controller = new AbortController()
    const invoked = backend({ url }).invoke(call(controller.signal))
    setTimeout(() => controller.abort(new Error('client gone')), 20)
    await expect(invoked).rejects.toThrow('client gone')
  })

  it('takes an answer of exactly the size limit and fails a larger one', async () => {
    const body = (size: number): string => `{"HTTPResponse":{"Body":"${'x'.repeat(size - 28)}"}}`
    expect(body(100)).toHaveLength(100)
    const fits = await hookServer(json(200, body(100)))
    expect((await backend({ url: fits.url, sizeLimit: 100 }).invoke(call())).HTTPResponse.Body).toHaveLength(72)
    const large = await hookServer(json(200, body(101)))
    await expect(backend({ url: large.url, sizeLimit: 100 }).invoke(call())).rejects.toThrow('hook response exceeded maximum size of 100 bytes')
  })

  it('checks the media type as tusd does: required, application/json in any case, parameters allowed', async () => {
    const answer = (contentType: string | undefined): Handler => (_request, _body, response) => {
      response.writeHead(200, contentType === undefined ? {} : { 'content-type': contentType }).end('{"StopUpload":true}')
    }
    for (const ok of ['application/json', 'Application/JSON', 'application/json; charset=utf-8', 'application/json;']) {
      const { url } = await hookServer(answer(ok))
      expect((await backend({ url }).invoke(call())).StopUpload, ok).toBe(true)
    }
    for (const [bad, message] of [
      [undefined, "does not contain the 'Content-Type: application/json' header"],
      ['text/plain', 'expected hook response Content-Type to be application/json'],
      ['application/json; charset', 'failed to parse Content-Type header'],
      ['application/problem+json', 'expected hook response Content-Type to be application/json'],
    ] as const) {
      const { url } = await hookServer(answer(bad))
      await expect(backend({ url }).invoke(call())).rejects.toThrow(message)
    }
  })

  it("fails an answer that is not tusd's JSON", async () => {
    const { url } = await hookServer(json(200, '<html>oops</html>'))
    await expect(backend({ url }).invoke(call())).rejects.toThrow(/failed to parse hook response/)
  })

  it('refuses a URL that is not http(s)', () => {
    expect(() => new HttpHookBackend({ url: 'ftp://example.com/' })).toThrow(TypeError)
  })
})
