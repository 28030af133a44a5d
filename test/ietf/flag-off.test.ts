import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startGateway, type TestGateway } from '../support/gateway.js'
import { TUS } from '../support/tus.js'
import { http1DraftClient, type DraftClient } from './draft-client.js'
import { appendHeaders, completeness, draft } from './draft-cases.js'

describe('without --experimental-protocol', () => {
  let gateway: TestGateway
  let client: DraftClient
  beforeAll(async () => {
    gateway = await startGateway()
    client = http1DraftClient(gateway.port)
  })
  afterAll(async () => {
    await client.close()
    await gateway.close()
  })

  it('a draft creation is answered as tusd answers it: 412 with Tus-Version, no 104, nothing created', async () => {
    const response = await client.request({ method: 'POST', url: gateway.basePath, headers: draft(6, completeness(6, true)), body: 'abc' })
    expect(response.status).toBe(412)
    expect(response.headers['tus-version']).toBe('1.0.0')
    expect(response.headers.location).toBeUndefined()
    expect(response.interim).toEqual([])
    // The answer says how to switch the draft on, so whoever runs the gateway knows what to change.
    expect(response.body.toString()).toContain('--experimental-protocol')
  })

  it('a draft append is 412 too', async () => {
    const created = await client.request({ method: 'POST', url: gateway.basePath, headers: { ...TUS, 'upload-length': '3' } })
    const response = await client.request({ method: 'PATCH', url: created.headers.location ?? '', headers: appendHeaders(6, 0, true), body: 'abc' })
    expect(response.status).toBe(412)
  })

  it('OPTIONS announces tus only: no Upload-Limit', async () => {
    const response = await client.request({ method: 'OPTIONS', url: gateway.basePath, headers: draft(8) })
    expect(response.status).toBe(200)
    expect(response.headers['tus-version']).toBe('1.0.0')
    expect(response.headers['upload-limit']).toBeUndefined()
  })
})
