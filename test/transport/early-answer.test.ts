import http2 from 'node:http2'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startGateway, type TestGateway } from '../support/gateway.js'

// An HTTP/2 client still sending its body when the gateway answers early (here: 409) gets the whole
// answer and then RST_STREAM(NO_ERROR); its stream must close. A reset sent before the answer's last
// DATA frame went out cut the answer and left node's client waiting forever (about 2% of requests).
describe('early answers over HTTP/2', () => {
  let gateway: TestGateway
  beforeAll(async () => {
    gateway = await startGateway()
  })
  afterAll(async () => {
    await gateway.close()
  })

  it('[T-17] a client still sending gets the whole 409 and its stream closes, every time', async () => {
    const session = http2.connect(`http://127.0.0.1:${gateway.port}`)
    session.on('error', () => {})
    const created = await new Promise<string>((resolve, reject) => {
      const stream = session.request(
        { ':method': 'POST', ':path': gateway.basePath, 'tus-resumable': '1.0.0', 'upload-length': '100000000' },
        { endStream: true },
      )
      stream.on('response', (headers) => resolve(String(headers.location)))
      stream.on('error', reject)
      stream.resume()
    })
    const path = new URL(created).pathname
    const body = Buffer.alloc(200_000, 1)
    const outcomes: string[] = []
    for (let i = 0; i < 150; i++) {
      outcomes.push(
        await new Promise<string>((resolve) => {
          const stream = session.request({
            ':method': 'PATCH',
            ':path': path,
            'tus-resumable': '1.0.0',
            'upload-offset': '999',
            'content-type': 'application/offset+octet-stream',
          })
          let status = 0
          let text = ''
          stream.setEncoding('utf8')
          stream.on('response', (headers) => (status = Number(headers[':status'])))
          stream.on('data', (chunk: string) => (text += chunk))
          stream.on('error', () => {})
          stream.on('close', () => resolve(`${status} ${text.trim()}`))
          const timer = setTimeout(() => resolve(`stream never closed (status ${status})`), 3000)
          stream.on('close', () => clearTimeout(timer))
          stream.write(body)
          setTimeout(() => stream.destroyed || stream.end(body), i % 5)
        }),
      )
    }
    session.destroy()
    expect(outcomes.filter((outcome) => outcome !== '409 expected offset 0, got 999')).toEqual([])
  })
})
