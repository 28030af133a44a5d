import type { Answer } from '../model/answer.js'
import { parseJsonTree, type JsonNode } from './json-tree.js'

/** tusd's `handler.HTTPResponse`: `Header` values are single strings, unlike the request's lists. */
export interface HttpResponseInfo {
  readonly StatusCode: number
  readonly Body: string
  readonly Header: Readonly<Record<string, string>> | null
}

/** tusd's `hooks.HookResponse`, every field filled (Go's zero values where the hook sent nothing). */
export interface HookResponse {
  readonly HTTPResponse: HttpResponseInfo
  readonly RejectUpload: boolean
  readonly RejectTermination: boolean
  readonly ChangeFileInfo: {
    readonly ID: string
    readonly MetaData: Readonly<Record<string, string>> | null
    readonly Storage: Readonly<Record<string, string>> | null
  }
  readonly StopUpload: boolean
}

/** A hook's answer that is not tusd's JSON (the hook failed). */
export class InvalidHookResponse extends Error {
  constructor(reason: string, options?: { cause?: unknown }) {
    super(`failed to parse hook response: ${reason}`, options)
    this.name = 'InvalidHookResponse'
  }
}

/** What a hook that answers nothing (a missing hook file, empty output) answers: Go's zero `HookResponse`. */
export const EMPTY_HOOK_RESPONSE: HookResponse = {
  HTTPResponse: { StatusCode: 0, Body: '', Header: null },
  RejectUpload: false,
  RejectTermination: false,
  ChangeFileInfo: { ID: '', MetaData: null, Storage: null },
  StopUpload: false,
}

/** How each field of a struct is read: from the JSON and what the field holds so far (Go decodes into it). */
type Fields = Record<string, (node: JsonNode, path: string, current: never) => unknown>

/**
 * Reads a hook's answer as Go's `json.Unmarshal` reads it into tusd's `HookResponse`: names matched
 * case-insensitively (an exact match first), unknown names ignored, repeated names decoded in turn into
 * the same field (a later value wins, objects and maps merge), `null` leaving a field as it is, and a
 * value of the wrong type (`"403"`, `403.0` or `4e2` for the status) failing the whole answer: Go reports
 * an `UnmarshalTypeError`, which tusd treats as a failed hook. Throws InvalidHookResponse.
 */
export function parseHookResponse(text: string): HookResponse {
  let tree: JsonNode
  try {
    tree = parseJsonTree(text)
  } catch (error) {
    throw new InvalidHookResponse((error as Error).message, { cause: error })
  }
  if (tree.kind === 'null') return EMPTY_HOOK_RESPONSE
  return struct(tree, '', EMPTY_HOOK_RESPONSE, {
    HTTPResponse: (node, path, current: HttpResponseInfo) => struct(node, path, current, { StatusCode: int, Body: string, Header: stringMap }),
    RejectUpload: bool,
    RejectTermination: bool,
    ChangeFileInfo: (node, path, current: HookResponse['ChangeFileInfo']) => struct(node, path, current, { ID: string, MetaData: stringMap, Storage: stringMap }),
    StopUpload: bool,
  })
}

/** tusd's `HTTPResponse` as an answer to merge (tusd's `MergeWith`: a status other than 0, a body other than "", every header). */
export function answerOf(response: HttpResponseInfo): Answer | undefined {
  const answer: { status?: number; body?: string; headers?: Record<string, string> } = {}
  if (response.StatusCode !== 0) answer.status = response.StatusCode
  if (response.Body !== '') answer.body = response.Body
  if (response.Header !== null && Object.keys(response.Header).length > 0) answer.headers = { ...response.Header }
  return Object.keys(answer).length === 0 ? undefined : answer
}

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/
// What node refuses in a header value (and what would split a response): control characters but tab.
const UNSENDABLE = /[^\t\x20-\x7e\x80-\xff]/

/**
 * Checks that an answer can be sent: a status of 0 (none) or 100 to 599, header names that are tokens,
 * header values without control characters. Go's server panics on a status it cannot send; here such an
 * answer is a failed hook. Throws InvalidHookResponse.
 */
export function checkSendable(response: HttpResponseInfo): void {
  const { StatusCode: status, Header: headers } = response
  if (status !== 0 && !(Number.isInteger(status) && status >= 100 && status <= 599)) {
    throw new InvalidHookResponse(`HTTPResponse.StatusCode ${status} is not an HTTP status`)
  }
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (!TOKEN.test(name) || UNSENDABLE.test(value)) throw new InvalidHookResponse(`HTTPResponse.Header ${JSON.stringify(name.slice(0, 100))} cannot be sent`)
  }
}

function struct<T>(node: JsonNode, path: string, current: T, fields: Fields): T {
  if (node.kind !== 'object') throw typeError(node, path || 'HookResponse', 'an object')
  const result: Record<string, unknown> = { ...(current as Record<string, unknown>) }
  const names = Object.keys(fields)
  for (const [key, member] of node.members) {
    const name = names.find((candidate) => candidate === key) ?? names.find((candidate) => candidate.toLowerCase() === key.toLowerCase())
    // Unknown names are ignored; null leaves the field as it is.
    if (name === undefined || member.kind === 'null') continue
    const read = fields[name] as (node: JsonNode, path: string, current: unknown) => unknown
    result[name] = read(member, path === '' ? name : `${path}.${name}`, result[name])
  }
  return result as T
}

function int(node: JsonNode, path: string): number {
  // Go's int (64 bits) takes an integer literal only: no fraction, no exponent.
  if (node.kind !== 'number' || !/^-?\d+$/.test(node.text)) throw typeError(node, path, 'an integer')
  const value = BigInt(node.text)
  if (value > 2n ** 63n - 1n || value < -(2n ** 63n)) throw typeError(node, path, 'an integer of 64 bits')
  return Number(value)
}

function string(node: JsonNode, path: string): string {
  if (node.kind !== 'string') throw typeError(node, path, 'a string')
  return node.value
}

function bool(node: JsonNode, path: string): boolean {
  if (node.kind !== 'boolean') throw typeError(node, path, 'a boolean')
  return node.value
}

function stringMap(node: JsonNode, path: string, current: Readonly<Record<string, string>> | null): Record<string, string> {
  if (node.kind !== 'object') throw typeError(node, path, 'an object of strings')
  // Go decodes into the map it has: a repeated name adds to it.
  const result: Record<string, string> = { ...current }
  for (const [key, member] of node.members) {
    // A null element is Go's zero value for a map element: "".
    const text = member.kind === 'null' ? '' : string(member, `${path}.${key}`)
    Object.defineProperty(result, key, { value: text, enumerable: true, writable: true, configurable: true })
  }
  return result
}

function typeError(node: JsonNode, path: string, wanted: string): InvalidHookResponse {
  return new InvalidHookResponse(`${path} must be ${wanted}, got ${node.kind === 'number' ? `number ${node.text}` : node.kind}`)
}
