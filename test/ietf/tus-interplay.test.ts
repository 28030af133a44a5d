import { describe, expect, it } from 'vitest'
import { OFFSET_OCTET_STREAM, pathOf, TUS } from '../support/tus.js'
import type { DraftClient, DraftResponse, Interim } from './draft-client.js'
import { appendHeaders, completeness, createDraftUpload, draft, eachDraftTransport, retrieveOffset } from './draft-cases.js'

const tusHead = (client: DraftClient, url: string) => client.request({ method: 'HEAD', url, headers: { ...TUS } })
const tusPatch = (client: DraftClient, url: string, offset: number, body: string) =>
  client.request({ method: 'PATCH', url, headers: { ...TUS, 'content-type': OFFSET_OCTET_STREAM, 'upload-offset': String(offset) }, body })

/** A request body that sends `first` and then holds the request open until `release()` is called. */
function stallingBody(first: string): { body: AsyncIterable<Uint8Array>; release: () => void } {
  let release: () => void = () => {}
  const released = new Promise<void>((resolve) => (release = resolve))
  async function* body(): AsyncGenerator<Uint8Array> {
    yield Buffer.from(first)
    await released
  }
  return { body: body(), release }
}

eachDraftTransport({ progressIntervalMs: 20, acquireLockTimeoutMs: 5_000 }, (context) => {
  describe('one upload, two protocols', () => {
    it('an upload created with the draft is inspected and finished with tus; the draft then sees it complete', async () => {
      const { client, gateway } = context()
      const url = pathOf(await createDraftUpload(client, gateway.basePath, 6, { length: 10, data: '0123' }))
      const head = await tusHead(client, url)
      expect(head.headers).toMatchObject({ 'upload-offset': '4', 'upload-length': '10' })
      expect((await tusPatch(client, url, 4, '456789')).status).toBe(204)
      const state = await retrieveOffset(client, url, 6)
      expect(state.headers).toMatchObject({ 'upload-offset': '10', 'upload-complete': '?1', 'upload-length': '10' })
      expect((await client.request({ method: 'GET', url })).text).toBe('0123456789')
    })

    it('an upload created with tus is inspected and finished with the draft; tus then sees every byte', async () => {
      const { client, gateway } = context()
      const created = await client.request({ method: 'POST', url: gateway.basePath, headers: { ...TUS, 'upload-length': '10' } })
      const url = pathOf(created.headers.location ?? '')
      expect((await tusPatch(client, url, 0, '0123')).status).toBe(204)
      const state = await retrieveOffset(client, url, 8)
      expect(state.headers).toMatchObject({ 'upload-offset': '4', 'upload-complete': '?0', 'upload-length': '10' })
      const completed = await client.request({ method: 'PATCH', url, headers: appendHeaders(8, 4, true), body: '456789' })
      expect(completed.status).toBe(200)
      expect((await tusHead(client, url)).headers['upload-offset']).toBe('10')
      expect((await client.request({ method: 'GET', url })).text).toBe('0123456789')
    })

    it('a tus upload of deferred length gets its length from a draft append that completes it', async () => {
      const { client, gateway } = context()
      const created = await client.request({ method: 'POST', url: gateway.basePath, headers: { ...TUS, 'upload-defer-length': '1' } })
      const url = pathOf(created.headers.location ?? '')
      await client.request({ method: 'PATCH', url, headers: appendHeaders(5, 0, true), body: 'abc' })
      expect((await tusHead(client, url)).headers).toMatchObject({ 'upload-offset': '3', 'upload-length': '3' })
    })

    it('[R-14] a draft upload that reached its length without "complete" is not finished for tus downloads until the client completes it', async () => {
      const { client, gateway } = context()
      const url = pathOf(await createDraftUpload(client, gateway.basePath, 8, { length: 3 }))
      await client.request({ method: 'PATCH', url, headers: appendHeaders(8, 0, false), body: 'abc' })
      expect((await tusHead(client, url)).headers['upload-offset']).toBe('3')
      expect((await client.request({ method: 'GET', url })).status).toBe(409)
      const completed = await client.request({ method: 'PATCH', url, headers: appendHeaders(8, 3, true) })
      expect(completed.headers).toMatchObject({ 'upload-complete': '?1', 'upload-offset': '3' })
      expect((await client.request({ method: 'GET', url })).text).toBe('abc')
    })
  })

  describe('a stalled draft append is released at once', () => {
    /** Starts an append of `abc` that then stalls, on its own connection; resolves once the gateway has stored the 3 bytes. */
    async function stalledAppend(v: number): Promise<{ url: string; finished: Promise<DraftResponse | Error>; release: () => void; own: DraftClient }> {
      const { client, gateway, transport } = context()
      const url = pathOf(await createDraftUpload(client, gateway.basePath, v, { data: 'xy' }))
      const own = transport.connect(gateway)
      const stalling = stallingBody('abc')
      let stored: () => void = () => {}
      const progressed = new Promise<void>((resolve) => (stored = resolve))
      const finished = own
        .request({
          method: 'PATCH',
          url,
          headers: appendHeaders(v, 2, false),
          body: stalling.body,
          // The progress 104 says the gateway has the bytes; only then is the upload "stalled with data".
          onInterim: (interim: Interim) => interim.headers['upload-offset'] === '5' && stored(),
        })
        .catch((error: Error) => error)
      await progressed
      return { url, finished, release: stalling.release, own }
    }

    it('[R-69] [R-70] [R-71] [R-51] [R-07] a HEAD answers at once with the bytes received, and the stalled request ends', async () => {
      const { client } = context()
      const { url, finished, release, own } = await stalledAppend(8)
      const head = await retrieveOffset(client, url, 8)
      expect(head.status).toBe(204)
      expect(head.headers['upload-offset']).toBe('5')
      release()
      const outcome = await finished
      // The old request is answered (400: interrupted) or its connection/stream is closed.
      if (!(outcome instanceof Error)) expect(outcome.status).toBe(400)
      // The offset given is the one the next append must use.
      const next = await client.request({ method: 'PATCH', url, headers: appendHeaders(8, 5, true), body: 'd' })
      expect(next.headers['upload-offset']).toBe('6')
      await own.close()
    })

    it('[R-70] a tus HEAD releases a stalled draft append the same way (one lock for both protocols)', async () => {
      const { client } = context()
      const { url, finished, release, own } = await stalledAppend(6)
      const head = await tusHead(client, url)
      expect(head.headers['upload-offset']).toBe('5')
      release()
      await finished
      await own.close()
    })

    it('[R-66] a DELETE during a stalled append cancels the upload at once', async () => {
      const { client } = context()
      const { url, finished, release, own } = await stalledAppend(7)
      const cancelled = await client.request({ method: 'DELETE', url, headers: draft(7) })
      expect(cancelled.status).toBe(204)
      release()
      await finished
      expect((await retrieveOffset(client, url, 7)).status).toBe(404)
      await own.close()
    })
  })

  it('[R-40] [R-55] an interrupted creation keeps what arrived; the client resumes from the offset', async () => {
    const { client, gateway, transport } = context()
    const own = transport.connect(gateway)
    const stalling = stallingBody('hello ')
    let location = ''
    let stored: () => void = () => {}
    const progressed = new Promise<void>((resolve) => (stored = resolve))
    const finished = own
      .request({
        method: 'POST',
        url: gateway.basePath,
        headers: draft(6, completeness(6, true)),
        body: stalling.body,
        onInterim: (interim) => {
          if (interim.headers.location !== undefined) location = interim.headers.location
          if (interim.headers['upload-offset'] === '6') stored()
        },
      })
      .catch((error: Error) => error)
    await progressed
    // The client "loses" its connection: the gateway keeps the 6 bytes; the upload is not complete.
    own.destroy()
    stalling.release()
    await finished
    const state = await retrieveOffset(client, pathOf(location), 6)
    expect(state.headers).toMatchObject({ 'upload-offset': '6', 'upload-complete': '?0' })
    const resumed = await client.request({ method: 'PATCH', url: pathOf(location), headers: appendHeaders(6, 6, true), body: 'world' })
    expect(resumed.headers).toMatchObject({ 'upload-offset': '11', 'upload-complete': '?1' })
    expect((await client.request({ method: 'GET', url: pathOf(location) })).text).toBe('hello world')
  })
})
