import { expect, it } from 'vitest'
import { pathOf } from '../support/tus.js'
import { appendHeaders, createDraftUpload, eachDraftTransport, retrieveOffset } from './draft-cases.js'

// A client that stops sending in the middle of its content holds nothing forever (Slowloris, R-84):
// after --network-timeout the request is stopped and what arrived is kept for the client to resume.
eachDraftTransport({ networkTimeoutMs: 300 }, (context) => {
  it('[R-84] [R-55] [R-43] an append that sends nothing for --network-timeout is stopped with a 5xx problem; its bytes are kept', async () => {
    const { client, gateway, transport } = context()
    const url = pathOf(await createDraftUpload(client, gateway.basePath, 8, { data: 'ab' }))
    const own = transport.connect(gateway)
    let release: () => void = () => {}
    const released = new Promise<void>((resolve) => (release = resolve))
    async function* stalls(): AsyncGenerator<Uint8Array> {
      yield Buffer.from('cde')
      await released
    }
    const response = await own.request({ method: 'PATCH', url, headers: appendHeaders(8, 2, false), body: stalls() })
    release()
    // a 5xx invites the client to resume from an offset retrieval.
    expect(response.status).toBe(500)
    expect(response.headers['content-type']).toBe('application/problem+json')
    expect(response.headers['upload-complete']).toBe('?0')
    const state = await retrieveOffset(client, url, 8)
    expect(state.headers['upload-offset']).toBe('5')
    own.destroy()
  })
})
