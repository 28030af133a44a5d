import { expect } from 'vitest'
import type { TestClient, TestResponse } from '../support/client.js'
import { head, pathOf, patch, TUS } from '../support/tus.js'

/** Creates a partial upload (`Upload-Concat: partial`), with `data` appended if given; returns its URL. */
export async function createPartial(client: TestClient, basePath: string, length: number | undefined, data?: string): Promise<string> {
  const headers: Record<string, string> = { ...TUS, 'upload-concat': 'partial' }
  if (length === undefined) headers['upload-defer-length'] = '1'
  else headers['upload-length'] = String(length)
  const created = await client.request({ method: 'POST', url: basePath, headers })
  expect(created.status, created.text).toBe(201)
  const location = created.headers.location
  if (location === undefined) throw new Error('creation answered without Location')
  if (data !== undefined) expect((await patch(client, location, 0, data)).status).toBe(204)
  return location
}

/** Sends the creation of a final upload naming `urls`; returns the response (the caller checks it). */
export function createFinal(client: TestClient, basePath: string, urls: readonly string[], headers: Record<string, string> = {}): Promise<TestResponse> {
  return client.request({ method: 'POST', url: basePath, headers: { ...TUS, 'upload-concat': `final;${urls.join(' ')}`, ...headers } })
}

/** The HEAD of an upload, which must succeed. */
export async function state(client: TestClient, url: string): Promise<Readonly<Record<string, string>>> {
  const response = await head(client, pathOf(url))
  expect(response.status, response.text).toBe(200)
  return response.headers
}
