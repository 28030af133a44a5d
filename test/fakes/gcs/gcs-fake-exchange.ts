/**
 * One request and its answer as the GCS fake's routes see them (a fake of the GCS JSON API for tests; not GCS),
 * kept apart from node:http so a route is a function from an exchange to an answer.
 */
import type { IncomingHttpHeaders } from 'node:http'
import { invalid, type Preconditions } from './gcs-fake-state.js'

/** A request body as it arrived: `complete` is false when the client went away before its end. */
export interface FakeBody {
  readonly data: Buffer
  readonly complete: boolean
}

/** One request: path segments are split on `/` first, then percent-decoded (GCS object names hold `%2F`). */
export interface FakeExchange {
  readonly method: string
  readonly segments: readonly string[]
  readonly query: URLSearchParams
  readonly headers: IncomingHttpHeaders
  readBody(): Promise<FakeBody>
}

/** An answer: a JSON body, raw bytes, or nothing. */
export interface FakeAnswer {
  readonly status: number
  readonly headers?: Readonly<Record<string, string>>
  readonly json?: unknown
  readonly body?: Buffer
}

/** A 200 answer with a JSON body. */
export function ok(json: unknown): FakeAnswer {
  return { status: 200, json }
}

/** The request body parsed as a JSON object (`{}` when empty); throws 400 when it is not one. */
export async function readJson(exchange: FakeExchange): Promise<Record<string, unknown>> {
  const { data } = await exchange.readBody()
  return parseJsonObject(data.toString())
}

/** Parses a JSON object (`{}` for empty text); throws 400 otherwise. */
export function parseJsonObject(text: string): Record<string, unknown> {
  if (text.trim() === '') return {}
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    throw invalid('Parse Error')
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw invalid('Parse Error')
  return value as Record<string, unknown>
}

/** `ifGenerationMatch` and `ifMetagenerationMatch` from the query; throws 400 when one is not a number. */
export function preconditions(query: URLSearchParams): Preconditions {
  const read = (name: string): number | undefined => {
    const value = query.get(name)
    if (value === null) return undefined
    if (!/^\d{1,20}$/.test(value)) throw invalid(`Invalid value for ${name}: ${value}`)
    return Number(value)
  }
  return { ifGenerationMatch: read('ifGenerationMatch'), ifMetagenerationMatch: read('ifMetagenerationMatch') }
}

/** Custom metadata from a JSON resource: GCS keeps string values only, so others are turned into strings. */
export function customMetadata(value: unknown): Record<string, string> | undefined {
  if (typeof value !== 'object' || value === null) return undefined
  return Object.fromEntries(Object.entries(value).map(([key, v]) => [key, String(v)]))
}
