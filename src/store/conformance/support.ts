import { createHash, randomBytes } from 'node:crypto'
import type { Readable } from 'node:stream'
import { expect, type TestContext } from 'vitest'
import type { ByteRange, UploadInit } from '../../model/upload.js'
import type { Store, StoredUpload } from '../store.js'

/** What the suite's test modules get: a way to declare tests, and the store of the running test. */
export interface Suite {
  /** Declares a test; its title is what `skip` names. */
  test(title: string, body: (context: TestContext) => Promise<void>): void
  /** The fresh store of the running test. */
  store(): Store
  /** The part size the part tests use: the suite's `minPartSize`, else the store's, else 64 KiB. */
  partSize(): number
}

/** A signal that never aborts, for calls that are not about cancellation. */
export const NEVER: AbortSignal = new AbortController().signal

/** A fresh wanted id that every store accepts (the form tusd gives its ids: 32 hex digits). */
export function newId(): string {
  return randomBytes(16).toString('hex')
}

/** Creates an upload with a fresh wanted id and no metadata unless `init` says otherwise. */
export function create(store: Store, init: Partial<UploadInit> = {}): Promise<StoredUpload> {
  return store.create({ id: newId(), metadata: {}, ...init }, NEVER)
}

/** A new handle on the upload, read again from the store. */
export function reopen(store: Store, upload: StoredUpload | string): Promise<StoredUpload> {
  return store.open(typeof upload === 'string' ? upload : upload.state.id, NEVER)
}

/** Appends `parts` in one append on a handle read afresh, and returns that handle. */
export async function appendFresh(store: Store, upload: StoredUpload, ...parts: (string | Uint8Array)[]): Promise<StoredUpload> {
  const handle = await reopen(store, upload)
  await handle.append(body(...parts), NEVER)
  return handle
}

/** A request body yielding `parts` (strings as UTF-8). */
export async function* body(...parts: (string | Uint8Array)[]): AsyncGenerator<Uint8Array> {
  for (const part of parts) yield typeof part === 'string' ? Buffer.from(part, 'utf8') : part
}

/** A body that yields `parts`, then throws `error` (a client that went away). */
export async function* failing(error: Error, ...parts: (string | Uint8Array)[]): AsyncGenerator<Uint8Array> {
  yield* body(...parts)
  throw error
}

/** A body that yields `parts`, then aborts `controller` and waits for a next chunk that never comes. */
export async function* stalling(controller: AbortController, ...parts: (string | Uint8Array)[]): AsyncGenerator<Uint8Array> {
  yield* body(...parts)
  controller.abort(new Error('asked to let go'))
  await new Promise<never>(() => undefined)
}

/** The method a capability promises, or a failure naming it. */
export function required<T>(method: T | undefined, name: string): T {
  if (method === undefined) throw new Error(`the store advertises ${name} but has no ${name} method`)
  return method
}

/**
 * The bytes of a finished upload (or of `range` of them). The suite never reads an unfinished upload,
 * as the service never does: this checks it.
 */
export async function readBytes(upload: StoredUpload, range?: ByteRange): Promise<Buffer> {
  expect(upload.finished, 'read only a finished upload').toBe(true)
  const stream: Readable = await required(upload.read, 'read').call(upload, range, NEVER)
  const chunks: Buffer[] = []
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Uint8Array))
  return Buffer.concat(chunks)
}

/** Finishes the upload and, if the store reads, checks that its bytes are `expected`. */
export async function expectFinishedContent(store: Store, upload: StoredUpload, expected: string | Uint8Array): Promise<void> {
  await upload.finish(NEVER)
  expect(upload.finished).toBe(true)
  if (!store.capabilities.read) return
  const bytes = await readBytes(upload)
  const wanted = typeof expected === 'string' ? Buffer.from(expected, 'utf8') : Buffer.from(expected)
  // Digests, not the bytes: a failure on megabytes should print two lines, not two dumps.
  expect({ length: bytes.length, sha256: sha256(bytes) }).toEqual({ length: wanted.length, sha256: sha256(wanted) })
}

/** Deterministic bytes, so a failure reproduces; xorshift32 is plenty to make misplaced bytes visible. */
export function pseudoRandomBytes(size: number, seed = 0x9e3779b9): Buffer {
  const bytes = Buffer.allocUnsafe(size)
  let state = seed | 1
  for (let i = 0; i < size; i++) {
    state ^= state << 13
    state ^= state >>> 17
    state ^= state << 5
    bytes[i] = state & 0xff
  }
  return bytes
}

export function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex')
}

/** Resolves after `ms` milliseconds (for clocks to move between two writes, never to wait for a store). */
export function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}
