import { pino } from 'pino'
import { afterEach, expect, it } from 'vitest'
import { createGateway, type Gateway } from '../../src/gateway.js'
import { MemoryStore } from '../../src/store/memory/memory-store.js'

// EMFILE may come from any part that opens a descriptor (an S3 part buffered in a file, a hook's process, a socket
// to a backend), not only from the file store, which names it itself: wherever it comes from, the client is told
// it is a shortage to wait out (503, Retry-After), never a bare 500, and the operator gets the cause.

/** An errno error as node's fs and child_process throw it when the process has no descriptor left. */
function outOfDescriptors(): NodeJS.ErrnoException {
  return Object.assign(new Error("EMFILE: too many open files, open '/tmp/part-0'"), { errno: -24, code: 'EMFILE', syscall: 'open' })
}

/** A memory store whose appends fail as a store buffering parts in files does when no descriptor is left. */
class OutOfDescriptorsOnAppend extends MemoryStore {
  override async open(id: string, signal: AbortSignal) {
    const upload = await super.open(id, signal)
    upload.append = async () => {
      // Wrapped, as a store's own error may carry it.
      throw new Error('buffering a part failed', { cause: outOfDescriptors() })
    }
    return upload
  }
}

let gateway: Gateway | undefined
afterEach(() => gateway?.close())

it('answers an append that meets EMFILE outside the file store 503 with Retry-After, saying why, and logs the cause', async () => {
  const lines: string[] = []
  gateway = await createGateway({
    store: new OutOfDescriptorsOnAppend(),
    host: '127.0.0.1',
    port: 0,
    logger: pino({ level: 'warn' }, { write: (line: string) => void lines.push(line) }),
  })
  const collection = await gateway.listen()
  const created = await fetch(collection, { method: 'POST', headers: { 'tus-resumable': '1.0.0', 'upload-length': '5' } })
  expect(created.status).toBe(201)
  const response = await fetch(created.headers.get('location') ?? '', {
    method: 'PATCH',
    headers: { 'tus-resumable': '1.0.0', 'upload-offset': '0', 'content-type': 'application/offset+octet-stream' },
    body: 'hello',
  })
  expect(response.status).toBe(503)
  expect(response.headers.get('retry-after')).toMatch(/^\d+$/)
  expect(await response.text()).toContain('out of file descriptors')
  const logged = lines.map((line) => JSON.parse(line) as { msg: string; err?: { message: string } })
  expect(logged.find((entry) => entry.msg === 'storage failed')?.err?.message).toMatch(/^buffering a part failed: EMFILE/)
})
