import { expect, it } from 'vitest'
import { pathOf } from '../support/tus.js'
import type { TestGateway, TestGatewayOptions } from '../support/gateway.js'
import { eachGateway, expectHeaders, type HeaderExpectation } from '../support/http-cases.js'
import { draftTransports, type DraftClient, type DraftRequest, type DraftResponse, type DraftTransport, type Interim } from './draft-client.js'

/**
 * What the tests read in the drafts, written down independently of `src/protocol/ietf-draft/versions.ts`
 * so that a wrong row in that table makes a test fail.
 */
export const VERSIONS = [3, 4, 5, 6, 7, 8, 9, 10] as const
export type Version = (typeof VERSIONS)[number]
export const PARTIAL_UPLOAD = 'application/partial-upload'
export const PROBLEM_BASE = 'https://iana.org/assignments/http-problem-types#'

/** -01 (interop 3) says `Upload-Incomplete` (true = more follows); later versions `Upload-Complete`. */
export function completeness(v: number, complete: boolean): Record<string, string> {
  return v === 3 ? { 'upload-incomplete': complete ? '?0' : '?1' } : { 'upload-complete': complete ? '?1' : '?0' }
}

/**
 * The status of a successful append: -01 to -05 "MUST ... 201 (Created)" for one that does not complete
 * and RECOMMEND 201 for one that does; from -06 the examples answer 204, and the target's 200.
 */
export function appendStatus(v: number, complete: boolean): number {
  return v <= 6 ? 201 : complete ? 200 : 204
}

/**
 * The completeness field of a failed creation or append. From -06 "any response, successful or not" to a
 * request that did not complete the upload carries `Upload-Complete: ?0`; up to -05 the field tells the
 * upload's state, with its `Upload-Offset` ("MUST send the Upload-Offset header ... when the response is a
 * failure"), and neither is sent where there is no upload (`state` undefined).
 */
export function failureFields(v: number, state?: { offset: number; complete: boolean }): Record<string, string | null> {
  if (v >= 7) return completeness(v, false)
  if (state === undefined) return { [completenessName(v)]: null, 'upload-offset': null }
  return { ...completeness(v, state.complete), 'upload-offset': String(state.offset) }
}

/** The name of the completeness field in version `v`. */
export function completenessName(v: number): string {
  return v === 3 ? 'upload-incomplete' : 'upload-complete'
}

/** The interop version header, plus `extra`. */
export function draft(v: number, extra: Record<string, string> = {}): Record<string, string> {
  return { 'upload-draft-interop-version': String(v), ...extra }
}

/** Headers of an append at `offset` (the media type is sent to every version: older ones ignore it). */
export function appendHeaders(v: number, offset: number, complete: boolean, extra: Record<string, string> = {}): Record<string, string> {
  return draft(v, { 'content-type': PARTIAL_UPLOAD, 'upload-offset': String(offset), ...completeness(v, complete), ...extra })
}

/** An upload made with a draft creation request of version `v` before a case's request. */
export interface GivenUpload {
  /** `Upload-Length` (sent to versions that have it, from 6). */
  readonly length?: number
  /** Content sent with the creation request. */
  readonly data?: string
  /** Complete the upload in that request. */
  readonly complete?: boolean
}

/** Creates an upload with a draft POST and returns its URL. */
export async function createDraftUpload(client: DraftClient, basePath: string, v: number, given: GivenUpload = {}): Promise<string> {
  const headers = draft(v, completeness(v, given.complete === true))
  if (given.length !== undefined && v >= 6) headers['upload-length'] = String(given.length)
  const response = await client.request({ method: 'POST', url: basePath, headers, body: given.data ?? '' })
  expect(response.status, response.text).toBe(201)
  const location = response.headers.location
  if (location === undefined) throw new Error('creation answered without Location')
  return location
}

/** An offset retrieval (HEAD) in version `v`. */
export function retrieveOffset(client: DraftClient, url: string, v: number): Promise<DraftResponse> {
  return client.request({ method: 'HEAD', url, headers: draft(v) })
}

export interface Expectation {
  readonly status: number
  readonly headers?: Readonly<Record<string, HeaderExpectation>>
  /** The problem type's name (e.g. `mismatching-upload-offset`), `null` for `about:blank`, undefined for "no problem body". */
  readonly problem?: string | null
  /** Extension members the problem must carry. */
  readonly members?: Readonly<Record<string, unknown>>
  /** Checks on the interim responses. */
  readonly interim?: (interim: readonly Interim[]) => void
}

/** The upload's state afterwards, read with an offset retrieval of the same version. */
export interface UploadState {
  readonly offset?: number
  readonly complete?: boolean
  /** `null` for "no Upload-Length". */
  readonly length?: number | null
  /** 404 now (cancelled or invalidated). */
  readonly gone?: boolean
}

/** One draft exchange as data, run for every interop version it applies to. */
export interface DraftCase {
  /** The test title; carries the checklist IDs it proves, e.g. `[R-44]`. */
  readonly name: string
  /** The versions the case applies to (default: all). */
  readonly versions?: readonly number[]
  readonly given?: GivenUpload
  /** The request, given the version, the given upload's URL (if any) and the collection path. */
  readonly request: (v: number, upload: string | undefined, basePath: string) => DraftRequest
  readonly expect: (v: number) => Expectation
  /** The state afterwards, if the case checks it (undefined: not checked in this version). */
  readonly after?: (v: number) => UploadState | undefined
}

/** Checks a draft response: status, headers, problem body; every response echoes the request's version. */
export function expectDraftResponse(response: DraftResponse, v: number | undefined, expected: Expectation): void {
  expect(response.status, `status (body: ${response.text.slice(0, 300)})`).toBe(expected.status)
  if (v !== undefined) expect(response.headers['upload-draft-interop-version'], 'echoed interop version').toBe(String(v))
  expectHeaders(response.headers, expected.headers)
  if (expected.problem !== undefined) {
    expect(response.headers['content-type']).toBe('application/problem+json')
    const problem = JSON.parse(response.text) as Record<string, unknown>
    expect(problem.status).toBe(expected.status)
    expect(typeof problem.detail).toBe('string')
    if (expected.problem === null) expect(problem.type).toBeUndefined()
    else expect(problem.type).toBe(`${PROBLEM_BASE}${expected.problem}`)
    for (const [name, value] of Object.entries(expected.members ?? {})) expect(problem[name], name).toEqual(value)
  }
  expected.interim?.(response.interim)
}

/** Runs one case in version `v`. */
export async function runDraftCase(client: DraftClient, basePath: string, testCase: DraftCase, v: number): Promise<DraftResponse> {
  const upload = testCase.given === undefined ? undefined : await createDraftUpload(client, basePath, v, testCase.given)
  const request = testCase.request(v, upload === undefined ? undefined : pathOf(upload), basePath)
  const response = await client.request(request)
  expectDraftResponse(response, v, testCase.expect(v))
  const state = testCase.after?.(v)
  if (state !== undefined) {
    const target = upload ?? response.headers.location
    if (target === undefined) throw new Error(`${testCase.name}: no upload to check`)
    await expectUploadState(client, pathOf(target), v, state)
  }
  return response
}

/** Checks an upload's state with an offset retrieval in version `v`. */
export async function expectUploadState(client: DraftClient, url: string, v: number, state: UploadState): Promise<void> {
  const after = await retrieveOffset(client, url, v)
  if (state.gone === true) {
    expect(after.status).toBe(404)
    return
  }
  expect(after.status, after.text).toBe(204)
  if (state.offset !== undefined) expect(after.headers['upload-offset']).toBe(String(state.offset))
  if (state.complete !== undefined) expect(after.headers).toMatchObject(completeness(v, state.complete))
  if (state.length !== undefined && v >= 6) expect(after.headers['upload-length']).toBe(state.length === null ? undefined : String(state.length))
}

/** Per transport, a gateway speaking the draft and a client, for tests that are not a single case. */
export function eachDraftTransport(
  options: TestGatewayOptions,
  body: (context: () => { transport: DraftTransport; gateway: TestGateway; client: DraftClient }) => void,
  transports: readonly DraftTransport[] = draftTransports,
): void {
  eachGateway(transports, { experimentalProtocol: true, ...options }, body)
}

/** Runs a table of cases for every version each applies to, over every draft transport. */
export function runDraftCases(cases: readonly DraftCase[], options: TestGatewayOptions = {}, transports?: readonly DraftTransport[]): void {
  eachDraftTransport(
    options,
    (context) => {
      for (const testCase of cases) {
        const versions = testCase.versions ?? VERSIONS
        it.each(versions.map((v) => [v]))(`${testCase.name} (interop %i)`, async (v) => {
          const { gateway, client } = context()
          await runDraftCase(client, gateway.basePath, testCase, v)
        })
      }
    },
    transports,
  )
}

/** Versions from `from` to `to`, inclusive. */
export function versions(from: number, to = 10): number[] {
  return VERSIONS.filter((v) => v >= from && v <= to)
}
