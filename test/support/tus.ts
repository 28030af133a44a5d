import { expect } from 'vitest'
import type { RequestBody, TestClient, TestResponse } from './client.js'

/** The header every tus request carries (T-05). */
export const TUS = { 'tus-resumable': '1.0.0' } as const

/** The media type of tus PATCH bodies (T-16). */
/**
 * An upload id as it appears in a URL: 32 hex digits (128 random bits), which a store may extend (tusd's S3
 * store appends `+<multipartId>`), as a regular expression source.
 */
export const UPLOAD_ID = '[0-9a-f]{32}(?:\\+[A-Za-z0-9._~=-]+)?'

export const OFFSET_OCTET_STREAM = 'application/offset+octet-stream'

/** What a test needs in place before its request. */
export interface UploadSetup {
  /** The declared length; undefined creates the upload with `Upload-Defer-Length: 1`. */
  readonly length?: number
  /** An `Upload-Metadata` value for the creation request. */
  readonly metadata?: string
  /** Bytes appended with one PATCH after creation. */
  readonly data?: string | Uint8Array
}

/** Creates an upload with tus (POST, then PATCH if `data`) and returns its URL (the `Location`). */
export async function createUpload(client: TestClient, basePath: string, setup: UploadSetup = {}): Promise<string> {
  const headers: Record<string, string> = { ...TUS }
  if (setup.length === undefined) headers['upload-defer-length'] = '1'
  else headers['upload-length'] = String(setup.length)
  if (setup.metadata !== undefined) headers['upload-metadata'] = setup.metadata
  const created = await client.request({ method: 'POST', url: basePath, headers })
  expect(created.status, created.text).toBe(201)
  const location = created.headers.location
  if (location === undefined) throw new Error('creation answered without Location')
  if (setup.data !== undefined) {
    const appended = await patch(client, location, 0, setup.data)
    expect(appended.status, appended.text).toBe(204)
  }
  return location
}

/** A tus PATCH of `body` at `offset`, with extra headers if given. */
export function patch(
  client: TestClient,
  url: string,
  offset: number,
  body: RequestBody,
  headers: Record<string, string> = {},
): Promise<TestResponse> {
  return client.request({
    method: 'PATCH',
    url,
    headers: { ...TUS, 'content-type': OFFSET_OCTET_STREAM, 'upload-offset': String(offset), ...headers },
    body,
  })
}

/** A tus HEAD of an upload. */
export function head(client: TestClient, url: string): Promise<TestResponse> {
  return client.request({ method: 'HEAD', url, headers: { ...TUS } })
}

/** A GET of an upload (a download), with extra headers if given. */
export function download(client: TestClient, url: string, headers: Record<string, string> = {}): Promise<TestResponse> {
  return client.request({ method: 'GET', url, headers })
}

/** The stored offset of an upload, read with HEAD (which must succeed). */
export async function storedOffset(client: TestClient, url: string): Promise<number> {
  const response = await head(client, url)
  expect(response.status, response.text).toBe(200)
  return Number(response.headers['upload-offset'])
}

/** The path part of an upload URL (for tests that build raw paths around it). */
export function pathOf(url: string): string {
  return url.startsWith('/') ? url : new URL(url).pathname
}

/** The upload id at the end of an upload URL (absolute, or a path). */
export function idOf(url: string): string {
  return pathOf(url).split('/').pop() ?? ''
}
