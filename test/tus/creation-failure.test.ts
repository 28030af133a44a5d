import { pino } from 'pino'
import { afterEach, expect, it } from 'vitest'
import { createGateway, type Gateway } from '../../src/gateway.js'
import type { Locker } from '../../src/lock/locker.js'
import { LockerUnavailable, StoreUnavailable } from '../../src/model/errors.js'
import type { UploadInit } from '../../src/model/upload.js'
import { MemoryStore } from '../../src/store/memory/memory-store.js'

// A creation with upload whose store fails once the upload exists: the client is told where the upload
// is (it can resume), and the operator why the store failed, though the codec shaped the answer.

/** A memory store whose appends fail as an unreachable bucket's do. */
class UnreachableOnAppend extends MemoryStore {
  override async create(init: UploadInit, signal: AbortSignal) {
    const upload = await super.create(init, signal)
    upload.append = async () => {
      throw new StoreUnavailable(0, { cause: new Error('bucket unreachable') })
    }
    return upload
  }
}

let gateway: Gateway | undefined
afterEach(() => gateway?.close())

/** A tus creation with upload of "hello". */
function createWithUpload(collection: string): Promise<Response> {
  return fetch(collection, {
    method: 'POST',
    headers: { 'tus-resumable': '1.0.0', 'upload-length': '5', 'content-type': 'application/offset+octet-stream' },
    body: 'hello',
  })
}

it('[T-21] answers a creation with upload whose store fails 503 with the Location of the upload, and logs the cause', async () => {
  const lines: string[] = []
  gateway = await createGateway({
    store: new UnreachableOnAppend(),
    host: '127.0.0.1',
    port: 0,
    logger: pino({ level: 'warn' }, { write: (line: string) => void lines.push(line) }),
  })
  const collection = await gateway.listen()
  const response = await createWithUpload(collection)
  expect(response.status).toBe(503)
  expect(response.headers.get('retry-after')).toBe('5')
  const location = response.headers.get('location') ?? ''
  expect(location).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/files\/\S+$/)
  const head = await fetch(location, { method: 'HEAD', headers: { 'tus-resumable': '1.0.0' } })
  expect([head.status, head.headers.get('upload-offset'), head.headers.get('upload-length')]).toEqual([200, '0', '5'])
  const logged = lines.map((line) => JSON.parse(line) as { msg: string; err?: { message: string } })
  expect(logged.find((entry) => entry.msg === 'storage failed')?.err?.message).toBe('bucket unreachable')
})

/** A locker whose server is out of reach: every acquire fails as the Redis locker's does then. */
const unreachableLocker: Locker = {
  acquire: async () => {
    throw new LockerUnavailable({ cause: new Error('connect ECONNREFUSED 127.0.0.1:6379') })
  },
  requestStop: async () => {},
  close: async () => {},
}

it('[T-21] leaves no upload behind when a creation with upload cannot take its lock (503: the client creates again)', async () => {
  const store = new MemoryStore()
  const events: string[] = []
  gateway = await createGateway({ store, locker: unreachableLocker, host: '127.0.0.1', port: 0, logger: pino({ level: 'silent' }) })
  gateway.events.subscribe((event) => void events.push(event.type))
  const collection = await gateway.listen()
  const response = await createWithUpload(collection)
  expect(response.status).toBe(503)
  expect(response.headers.get('location')).toBeNull()
  const left: string[] = []
  for await (const id of store.list(AbortSignal.timeout(5000))) left.push(id)
  expect(left).toEqual([])
  // Whoever counted the creation hears of the removal too.
  expect(events).toEqual(['created', 'terminated'])
})
