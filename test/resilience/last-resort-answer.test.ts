import { Readable } from 'node:stream'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { DemoPage } from '../../src/demo/demo-page.js'
import type { Exchange } from '../../src/transport/exchange.js'
import { startGateway, type TestGateway } from '../support/gateway.js'
import { answer, connect } from '../transport/h2.js'

// Everything that serves a request answers its own errors; a bug that lets one escape must still not leave the
// request unanswered. The demo page stands in for any such part here: its serve is made to throw.

describe('a request whose handler throws', () => {
  let gateway: TestGateway
  let origin: string

  beforeAll(async () => {
    gateway = await startGateway({ demoPath: '/demo/' })
    origin = `http://127.0.0.1:${gateway.port}`
  })
  afterEach(() => vi.restoreAllMocks())
  afterAll(async () => {
    await gateway?.close()
  })

  const overHttp2 = async (path: string): Promise<{ status: number; rstCode: number }> => {
    const session = connect(gateway.port)
    try {
      return await answer(session.request({ ':path': path }).end())
    } finally {
      session.close()
    }
  }

  it('gets a bare 500 when nothing was answered yet, over HTTP/1.1 and HTTP/2', async () => {
    vi.spyOn(DemoPage.prototype, 'serve').mockRejectedValue(new Error('a bug'))
    const response = await fetch(`${origin}/demo/`, { signal: AbortSignal.timeout(5_000) })
    expect(response.status).toBe(500)
    expect(await response.text()).toBe('')
    expect((await overHttp2('/demo/')).status).toBe(500)
  })

  it('is cut short when its answer had started, so the client never waits for the rest', async () => {
    vi.spyOn(DemoPage.prototype, 'serve').mockImplementation(async (exchange: Exchange) => {
      // An answer of 10 bytes whose body stops after 3, then the failure.
      void exchange.respond(200, { 'content-length': '10' }, Readable.from(never3Bytes()))
      await new Promise((resolve) => setTimeout(resolve, 50))
      throw new Error('a bug')
    })
    const response = await fetch(`${origin}/demo/`, { signal: AbortSignal.timeout(5_000) })
    expect(response.status).toBe(200)
    await expect(response.text()).rejects.toMatchObject({ name: 'TypeError' })
    const overH2 = await overHttp2('/demo/')
    expect(overH2.status).toBe(200)
    expect(overH2.rstCode).not.toBe(0)
  })
})

async function* never3Bytes(): AsyncGenerator<Buffer> {
  yield Buffer.from('abc')
  await new Promise(() => {})
}
