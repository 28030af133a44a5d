import { pino } from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createGateway, type Gateway } from '../../src/gateway.js'
import { MemoryStore } from '../../src/store/memory/memory-store.js'

/** A store whose backend holds at most 1,000 bytes per upload (as S3 holds at most 5 TiB). */
class SmallStore extends MemoryStore {
  override readonly capabilities = { ...new MemoryStore().capabilities, maxSize: 1000 }
}

// Ports (issue 9): a store's own limit flows into what each protocol promises, one source of truth.
describe('a store that holds at most 1,000 bytes per upload', () => {
  let gateway: Gateway
  let collection: string

  beforeAll(async () => {
    gateway = await createGateway({ host: '127.0.0.1', port: 0, store: new SmallStore(), maxSize: 5000, experimentalProtocol: true, logger: pino({ level: 'silent' }) })
    collection = await gateway.listen()
  })
  afterAll(() => gateway.close())

  it('[T-08] announces the smaller of --max-size and the store limit as Tus-Max-Size, and the draft max-size as the same', async () => {
    const options = await fetch(collection, { method: 'OPTIONS' })
    expect(options.headers.get('tus-max-size')).toBe('1000')
    expect(options.headers.get('upload-limit')).toContain('max-size=1000')
  })

  it('[T-34] refuses a longer upload with 413 before reading it', async () => {
    const refused = await fetch(collection, { method: 'POST', headers: { 'tus-resumable': '1.0.0', 'upload-length': '1001' } })
    expect(refused.status).toBe(413)
    const fits = await fetch(collection, { method: 'POST', headers: { 'tus-resumable': '1.0.0', 'upload-length': '1000' } })
    expect(fits.status).toBe(201)
  })
})
