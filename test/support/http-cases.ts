import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { TestClient, TestResponse } from './client.js'
import { chosenTransports, startGateway, type TestGateway, type TestGatewayOptions } from './gateway.js'
import { transports, type Transport } from './transports.js'
import { createUpload, head, idOf, pathOf, TUS, type UploadSetup } from './tus.js'

/** Expected value of a response header: exact text, a pattern, or `null` for "absent". */
export type HeaderExpectation = string | RegExp | null

/**
 * One HTTP exchange as data, after tusd's `httpTest` table: the request, then what the answer must be.
 * `{upload}` in `path` is replaced by the path of the upload made from `given`, `{base}` by the collection path,
 * and `{id}` in request header values by the given upload's id.
 */
export interface HttpCase {
  /** The test title; carries the checklist IDs it proves, e.g. `[T-10] HEAD ...`. */
  readonly name: string
  /** An upload created before the request. */
  readonly given?: UploadSetup
  /** Terminate the given upload before the request. */
  readonly givenTerminated?: boolean
  readonly method: string
  /** Raw request path (default `{upload}` with `given`, else `{base}`). */
  readonly path?: string
  readonly headers?: Readonly<Record<string, string>>
  readonly body?: string | Uint8Array
  readonly status: number
  readonly responseHeaders?: Readonly<Record<string, HeaderExpectation>>
  readonly bodyContains?: string
  /**
   * The upload's state afterwards (HEAD): the given upload's, or the created one's (`Location`).
   * `length: null` means no `Upload-Length`; `deferred` is whether HEAD says `Upload-Defer-Length: 1`; `gone`: HEAD is 404.
   */
  readonly upload?: { readonly offset?: number; readonly length?: number | null; readonly deferred?: boolean; readonly gone?: boolean }
  /** Only on these transports (default: all); for cases that depend on how a version frames messages. */
  readonly transports?: readonly Transport['name'][]
}

/** Checks a response against a case's expectations (and what every response must carry). */
export function expectResponse(response: TestResponse, expected: Pick<HttpCase, 'status' | 'responseHeaders' | 'bodyContains'>): void {
  expect(response.status, `status (body: ${response.text.slice(0, 200)})`).toBe(expected.status)
  // T-05 and nosniff: on every response, errors included.
  expect(response.headers['tus-resumable']).toBe('1.0.0')
  expect(response.headers['x-content-type-options']).toBe('nosniff')
  expectHeaders(response.headers, expected.responseHeaders)
  if (expected.bodyContains !== undefined) expect(response.text).toContain(expected.bodyContains)
}

/** Checks response headers (names in lower case) against expectations, named in any case. */
export function expectHeaders(headers: Readonly<Record<string, string>>, expected: Readonly<Record<string, HeaderExpectation>> = {}): void {
  for (const [name, value] of Object.entries(expected)) {
    const actual = headers[name.toLowerCase()]
    if (value === null) expect(actual, `${name} must be absent`).toBeUndefined()
    else if (value instanceof RegExp) expect(actual, name).toMatch(value)
    else expect(actual, name).toBe(value)
  }
}

/** Runs one case against a client. */
export async function runHttpCase(client: TestClient, basePath: string, testCase: HttpCase): Promise<TestResponse> {
  let uploadUrl: string | undefined
  if (testCase.given !== undefined) uploadUrl = await createUpload(client, basePath, testCase.given)
  if (testCase.givenTerminated === true && uploadUrl !== undefined) {
    const terminated = await client.request({ method: 'DELETE', url: uploadUrl, headers: { ...TUS } })
    expect(terminated.status).toBe(204)
  }
  const path = (testCase.path ?? (uploadUrl === undefined ? '{base}' : '{upload}'))
    .replace('{upload}', uploadUrl === undefined ? '{upload}' : pathOf(uploadUrl))
    .replace('{base}', basePath)
  const id = uploadUrl === undefined ? '' : idOf(uploadUrl)
  const headers = Object.fromEntries(Object.entries(testCase.headers ?? {}).map(([name, value]) => [name, value.replace('{id}', id)]))
  const response = await client.request({ method: testCase.method, url: path, headers, body: testCase.body })
  expectResponse(response, testCase)
  const state = testCase.upload
  if (state !== undefined) {
    const target = uploadUrl ?? response.headers.location
    if (target === undefined) throw new Error(`${testCase.name}: no upload to check`)
    const after = await head(client, pathOf(target))
    if (state.gone === true) {
      expect(after.status).toBe(404)
    } else {
      expect(after.status).toBe(200)
      if (state.offset !== undefined) expect(after.headers['upload-offset']).toBe(String(state.offset))
      if (state.length !== undefined) expect(after.headers['upload-length']).toBe(state.length === null ? undefined : String(state.length))
      if (state.deferred !== undefined) expect(after.headers['upload-defer-length']).toBe(state.deferred ? '1' : undefined)
    }
  }
  return response
}

/**
 * Runs a table of cases over every transport (HTTP/1.1, h2c, TLS h2), each transport against its
 * own gateway started with `options`.
 */
export function runHttpCases(cases: readonly HttpCase[], options: TestGatewayOptions = {}): void {
  eachTransport(options, (context, transport) => {
    for (const testCase of cases) {
      const applies = testCase.transports === undefined || testCase.transports.includes(transport.name)
      if (!applies) continue
      it(testCase.name, async () => {
        const { gateway, client } = context()
        await runHttpCase(client, gateway.basePath, testCase)
      })
    }
  })
}

/**
 * For tests that are not a single exchange: per transport, a started gateway and a client, handed to `body`
 * through the returned getter once `beforeAll` has run.
 */
export function eachTransport(
  options: TestGatewayOptions,
  body: (context: () => { transport: Transport; gateway: TestGateway; client: TestClient }, transport: Transport) => void,
): void {
  eachGateway(transports, options, body)
}

/**
 * Per entry of `transports`, a `describe` block with its own gateway (started with `options`) and a client
 * from `connect`; `body` gets them through the getter once `beforeAll` has run, and the transport at once
 * (to choose the tests it defines).
 */
export function eachGateway<T extends { readonly name: string; connect(gateway: TestGateway): { close(): Promise<void> } }>(
  connectors: readonly T[],
  options: TestGatewayOptions,
  body: (context: () => { transport: T; gateway: TestGateway; client: ReturnType<T['connect']> }, transport: T) => void,
): void {
  describe.each(chosenTransports(connectors).map((transport) => [transport.name, transport] as const))('over %s', (_name, transport) => {
    let gateway: TestGateway | undefined
    let client: ReturnType<T['connect']> | undefined
    beforeAll(async () => {
      gateway = await startGateway(options)
      client = transport.connect(gateway) as ReturnType<T['connect']>
    })
    afterAll(async () => {
      await client?.close()
      await gateway?.close()
    })
    body(() => {
      if (gateway === undefined || client === undefined) throw new Error('the gateway is not started')
      return { transport, gateway, client }
    }, transport)
  })
}
