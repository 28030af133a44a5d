import { describe, expect, it } from 'vitest'
import type { Exchange } from '../../transport/exchange.js'
import { uploadIdOf } from './upload-reference.js'

const ID = '0123456789abcdef0123456789abcdef'
const exchange = { path: '/files/' } as Exchange
const ORIGIN = 'http://127.0.0.1:1080'
const isValidId = (id: string): boolean => /^[A-Za-z0-9_-]{1,128}$/.test(id)

describe('uploadIdOf', () => {
  it('finds the id in absolute URLs on our origin and in relative URLs', () => {
    expect(uploadIdOf(`${ORIGIN}/files/${ID}`, exchange, ORIGIN, '/files/', isValidId)).toBe(ID)
    expect(uploadIdOf(`/files/${ID}`, exchange, ORIGIN, '/files/', isValidId)).toBe(ID)
    expect(uploadIdOf(ID, exchange, ORIGIN, '/files/', isValidId)).toBe(ID)
    expect(uploadIdOf(`./${ID}`, exchange, ORIGIN, '/files/', isValidId)).toBe(ID)
    // Host names compare without case, and a default port is the same origin.
    expect(uploadIdOf(`HTTP://LOCALHOST:80/files/${ID}`, exchange, 'http://localhost', '/files/', isValidId)).toBe(ID)
    // Without a known origin only the path can be checked.
    expect(uploadIdOf(`http://anywhere/files/${ID}`, exchange, undefined, '/files/', isValidId)).toBe(ID)
  })

  it('finds nothing in URLs of other servers, other paths, or that are not upload URLs', () => {
    const others = [
      `http://elsewhere.example/files/${ID}`,
      `https://127.0.0.1:1080/files/${ID}`,
      `http://127.0.0.1:1081/files/${ID}`,
      `/other/${ID}`,
      '/files/',
      '/files/not an id',
      `/files/${ID}/more`,
      `ftp://127.0.0.1:1080/files/${ID}`,
      `http://user:pw@127.0.0.1:1080/files/${ID}`,
      `javascript:alert(1)`,
      'http://[bad',
    ]
    for (const url of others) expect(uploadIdOf(url, exchange, ORIGIN, '/files/', isValidId), url).toBeUndefined()
  })
})
