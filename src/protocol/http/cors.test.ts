import type { OutgoingHttpHeaders } from 'node:http'
import { describe, expect, it } from 'vitest'
import type { Exchange } from '../../transport/exchange.js'
import { addCorsHeaders } from './cors.js'

const fromBrowser = { method: 'POST', headers: { origin: 'https://app.example' } } as unknown as Exchange
const listed = { allowOrigin: ['https://app.example'], allowHeaders: [], exposeHeaders: ['Location'] }

describe('addCorsHeaders with a list of origins', () => {
  it('adds Origin to the Vary an answer has (an application\'s, upstream mode), keeping what it varies on', () => {
    const headers: OutgoingHttpHeaders = { vary: 'Accept-Encoding' }
    addCorsHeaders(fromBrowser, headers, listed)
    expect(headers.vary).toBe('Accept-Encoding, Origin')
    expect(headers['access-control-allow-origin']).toBe('https://app.example')
  })

  it('sets Vary: Origin on an answer without one, and leaves one that names Origin or * as it is', () => {
    for (const [before, after] of [[undefined, 'Origin'], ['origin, Accept', 'origin, Accept'], ['*', '*']] as const) {
      const headers: OutgoingHttpHeaders = before === undefined ? {} : { vary: before }
      addCorsHeaders(fromBrowser, headers, listed)
      expect(headers.vary).toBe(after)
    }
  })
  it('varies on Origin an answer to a request without one too: a shared cache must not give it to a browser', () => {
    const headers: OutgoingHttpHeaders = {}
    addCorsHeaders({ method: 'GET', headers: {} } as unknown as Exchange, headers, listed)
    expect(headers).toEqual({ vary: 'Origin' })
  })
})
