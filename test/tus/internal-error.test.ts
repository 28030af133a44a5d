import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { pino } from 'pino'
import { createGateway, type Gateway } from '../../src/gateway.js'
import type { Store } from '../../src/store/store.js'

// STYLE.md, errors: an unknown error becomes a bare 500; its cause goes to the log, never to the client.
const SECRET = 'EACCES: permission denied, open /srv/secret/uploads/abc.info'

/** A store whose every read fails with an error no codec knows. */
const brokenStore: Store = {
  capabilities: { terminate: false, deferLength: false, read: false, rollBack: false, concat: false, expire: false },
  isValidId: () => true,
  create: () => Promise.reject(new Error(SECRET)),
  open: () => Promise.reject(new Error(SECRET)),
}

describe('an error the gateway does not know', () => {
  let gateway: Gateway
  let collection: string
  const logged: string[] = []

  beforeAll(async () => {
    const logger = pino({ level: 'error' }, { write: (line: string) => void logged.push(line) })
    gateway = await createGateway({ host: '127.0.0.1', port: 0, store: brokenStore, logger })
    collection = await gateway.listen()
  })
  afterAll(async () => {
    await gateway?.close()
  })

  it('is answered with a bare 500 that does not echo its message, which goes to the log', async () => {
    const response = await fetch(`${collection}0123456789abcdef`, { method: 'HEAD', headers: { 'tus-resumable': '1.0.0' } })
    expect(response.status).toBe(500)
    expect(response.headers.get('tus-resumable')).toBe('1.0.0')
    const created = await fetch(collection, { method: 'POST', headers: { 'tus-resumable': '1.0.0', 'upload-length': '3' } })
    expect(created.status).toBe(500)
    expect(created.headers.get('content-type')).toBe('text/plain; charset=utf-8')
    expect(await created.text()).toBe('Internal Server Error\n')
    expect(logged.join('\n')).toContain(SECRET)
  })
})
