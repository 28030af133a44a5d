import { describe, expect, it } from 'vitest'
import type { Exchange } from '../../transport/exchange.js'
import { uploadIdOf } from './upload-reference.js'

const ID = '0123456789abcdef0123456789abcdef'
const exchange = { path: '/files/' } as Exchange
const isValidId = (id: string): boolean => /^[A-Za-z0-9_-]{1,128}$/.test(id)

describe('uploadIdOf', () => {
  it('finds the id in relative URLs and in absolute ones on any host (a proxy may have rewritten them)', () => {
    for (const url of [
      `http://127.0.0.1:1080/files/${ID}`,
      `HTTPS://PROXY.EXAMPLE/files/${ID}`,
      `http://127.0.0.1:8080/files/${ID}?x=1`,
      `/files/${ID}`,
      ID,
      `./${ID}`,
    ]) {
      expect(uploadIdOf(url, exchange, '/files/', isValidId), url).toBe(ID)
    }
  })

  it('finds nothing in URLs of other paths or schemes, with credentials, or that are not upload URLs', () => {
    const others = [
      `/other/${ID}`,
      `http://127.0.0.1:1080/other/${ID}`,
      '/files/',
      '/files/not an id',
      `/files/${ID}/more`,
      `ftp://127.0.0.1:1080/files/${ID}`,
      `http://user:pw@127.0.0.1:1080/files/${ID}`,
      `javascript:alert(1)`,
      'http://[bad',
    ]
    for (const url of others) expect(uploadIdOf(url, exchange, '/files/', isValidId), url).toBeUndefined()
  })
})
