import { expect } from 'vitest'
import { idOf } from '../support/tus.js'

const TUS = { 'tus-resumable': '1.0.0' }
const OCTETS = { 'content-type': 'application/offset+octet-stream' }

async function create(collection: string, headers: Record<string, string>, body?: string): Promise<string> {
  const response = await fetch(collection, { method: 'POST', headers: { ...TUS, ...headers, ...(body === undefined ? {} : OCTETS) }, body })
  expect(response.status, await response.text()).toBe(201)
  const location = response.headers.get('location')
  if (location === null) throw new Error('creation answered without Location')
  return idOf(location)
}

/**
 * Uploads in every state a request can meet, made with tus over fetch: empty, half-filled, complete,
 * deferred, partial (unfinished and complete), final (pending and complete), and terminated. Returns their ids.
 */
export async function uploadsInEveryState(collection: string): Promise<string[]> {
  const empty = await create(collection, { 'upload-length': '100' })
  const half = await create(collection, { 'upload-length': '10', 'upload-metadata': 'filename aGFsZi50eHQ=,flag' }, 'hello')
  const complete = await create(collection, { 'upload-length': '5', 'upload-metadata': 'filetype dGV4dC9odG1s' }, 'hello')
  const deferred = await create(collection, { 'upload-defer-length': '1' }, 'abc')
  const partial = await create(collection, { 'upload-concat': 'partial', 'upload-length': '4' }, 'ab')
  const partialDone = await create(collection, { 'upload-concat': 'partial', 'upload-length': '2' }, 'cd')
  const pendingFinal = await create(collection, { 'upload-concat': `final;${partial} ${partialDone}` })
  const doneFinal = await create(collection, { 'upload-concat': `final;${partialDone} ${partialDone}` })
  const terminated = await create(collection, { 'upload-length': '1' })
  const deleted = await fetch(new URL(terminated, collection), { method: 'DELETE', headers: TUS })
  expect(deleted.status).toBe(204)
  return [empty, half, complete, deferred, partial, partialDone, pendingFinal, doneFinal, terminated]
}
