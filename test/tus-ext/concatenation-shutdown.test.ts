import { afterEach, expect, it } from 'vitest'
import { storeWithStalledConcatenation } from '../../src/store/memory/stalled-concatenation.test-support.js'
import { startGateway, type TestGateway } from '../support/gateway.js'
import { send } from '../resilience/tus-http.js'

let gateway: TestGateway | undefined
afterEach(async () => {
  await gateway?.close()
  gateway = undefined
})

it('answers the creation of a final upload whose concatenation a shutdown stops 503 with its Location, to resume from', async () => {
  const { store, copyStarted } = storeWithStalledConcatenation()
  gateway = await startGateway({ store })
  const collection = `http://127.0.0.1:${gateway.port}${gateway.basePath}`
  const partial = await send('POST', collection, { 'upload-concat': 'partial', 'upload-length': '3', 'content-type': 'application/offset+octet-stream' }, 'abc')
  expect(partial.status, partial.body).toBe(201)
  const creating = send('POST', collection, { 'upload-concat': `final;${new URL(partial.headers.location ?? '', collection).pathname}` })
  await copyStarted
  const closing = gateway.gateway.close()
  const reply = await creating
  await closing
  expect(reply.status, reply.body).toBe(503)
  expect(reply.headers['retry-after']).toBe('5')
  expect(reply.headers.location).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:${gateway.port}${gateway.basePath}[0-9a-f]+$`))
})
