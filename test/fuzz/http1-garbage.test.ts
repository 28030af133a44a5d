import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createUpload, internalErrors, offsetOf, startFuzzGateway, type FuzzGateway } from './fuzz-gateway.js'
import { requestHead, sendRaw, type RawExchange } from './raw-http1.js'

// HTTP/1.1 garbage on a raw socket, as broken clients, proxies and scanners send it. Whatever comes, the
// answer is a 4xx (or nothing, where there is no request to answer), never a 5xx; the one documented
// 5xx is 500 for a body that stalls past --network-timeout (as tusd, so that clients retry). A body cut
// short keeps the bytes that arrived, and HEAD shows them.
const NETWORK_TIMEOUT_MS = 300

const TUS = 'Tus-Resumable: 1.0.0'
const OCTETS = 'Content-Type: application/offset+octet-stream'

describe('raw HTTP/1.1 garbage', () => {
  let gateway: FuzzGateway
  let collection: string

  beforeAll(async () => {
    gateway = await startFuzzGateway({ networkTimeoutMs: NETWORK_TIMEOUT_MS })
    collection = `${gateway.origin}${gateway.basePath}`
  })
  afterAll(async () => {
    expect(internalErrors(gateway)).toEqual([])
    await gateway?.close()
  })

  function statuses(exchange: RawExchange): number[] {
    return exchange.finals.map((response) => response.status)
  }

  const heads: [string, string, number][] = [
    ['a request line that is not one', 'GARBAGE\r\n\r\n', 400],
    ['an unknown HTTP version', 'OPTIONS /files/ HTTP/9.9\r\nHost: x\r\n\r\n', 400],
    ['a lowercase method', 'options /files/ HTTP/1.1\r\nHost: x\r\n\r\n', 400],
    ['a method that is not a token node knows', 'FROB /files/ HTTP/1.1\r\nHost: x\r\n\r\n', 400],
    ['HTTP/1.1 without Host', 'OPTIONS /files/ HTTP/1.1\r\n\r\n', 400],
    ['a header line without a colon', requestHead('OPTIONS /files/ HTTP/1.1', ['Host: x', 'BadHeader']), 400],
    ['a space before the colon', requestHead('OPTIONS /files/ HTTP/1.1', ['Host: x', 'X-A : b']), 400],
    ['a folded header line', requestHead('OPTIONS /files/ HTTP/1.1', ['Host: x', 'X-A: b', ' c']), 400],
    ['bare LF line ends', 'OPTIONS /files/ HTTP/1.1\nHost: x\n\n', 400],
    ['NUL in a header value', requestHead('OPTIONS /files/ HTTP/1.1', ['Host: x', 'X-A: a\0b']), 400],
    ['raw UTF-8 in the path', 'OPTIONS /files/\xe2\x98\x83 HTTP/1.1\r\nHost: x\r\n\r\n', 400],
    ['a head larger than 16 KiB', requestHead('OPTIONS /files/ HTTP/1.1', ['Host: x', `X-A: ${'a'.repeat(20_000)}`]), 431],
    ['Content-Length with Transfer-Encoding', requestHead('POST /files/ HTTP/1.1', ['Host: x', TUS, 'Upload-Length: 3', 'Content-Length: 3', 'Transfer-Encoding: chunked']) + '3\r\nabc\r\n0\r\n\r\n', 400],
    ['two different Content-Lengths', requestHead('POST /files/ HTTP/1.1', ['Host: x', TUS, 'Upload-Length: 3', 'Content-Length: 3', 'Content-Length: 4']) + 'abcd', 400],
    ['a negative Content-Length', requestHead('POST /files/ HTTP/1.1', ['Host: x', TUS, 'Upload-Length: 3', 'Content-Length: -3']), 400],
    ['a Content-Length that is not a number', requestHead('POST /files/ HTTP/1.1', ['Host: x', TUS, 'Upload-Length: 3', 'Content-Length: 3x']), 400],
    ['a Content-Length of 20 digits', requestHead('POST /files/ HTTP/1.1', ['Host: x', TUS, OCTETS, 'Upload-Length: 3', 'Content-Length: 99999999999999999999']), 400],
    ['a transfer coding other than chunked last', requestHead('POST /files/ HTTP/1.1', ['Host: x', TUS, 'Upload-Length: 3', 'Transfer-Encoding: gzip']), 400],
    ['an expectation other than 100-continue', requestHead('POST /files/ HTTP/1.1', ['Host: x', TUS, 'Upload-Length: 3', 'Expect: 200-ok', 'Connection: close']), 417],
  ]

  it.each(heads)('answers %s with a 4xx and closes', async (_name, bytes, status) => {
    const exchange = await sendRaw(gateway.port, [bytes])
    expect(statuses(exchange), exchange.text).toEqual([status])
    expect(exchange.ended).toBe('closed')
  })

  it('answers a request line in absolute form or for * with a 4xx or OPTIONS, never a 5xx', async () => {
    for (const line of ['OPTIONS http://elsewhere.example/files/ HTTP/1.1', 'POST * HTTP/1.1', 'OPTIONS * HTTP/1.1', `HEAD /files/${'a'.repeat(10_000)} HTTP/1.1`]) {
      const exchange = await sendRaw(gateway.port, [requestHead(line, ['Host: x', TUS, 'Upload-Length: 1', 'Connection: close'])])
      expect(exchange.finals, `${line}\n${exchange.text}`).toHaveLength(1)
      expect(exchange.finals[0]?.status, line).toBeLessThan(500)
    }
  })

  it('closes a CONNECT tunnel request and keeps serving', async () => {
    const exchange = await sendRaw(gateway.port, ['CONNECT 127.0.0.1:80 HTTP/1.1\r\nHost: 127.0.0.1:80\r\n\r\n'])
    expect(exchange.ended).toBe('closed')
    expect(statuses(exchange).every((status) => status < 500)).toBe(true)
    expect((await fetch(collection, { method: 'OPTIONS' })).status).toBe(200)
  })

  const patchHead = (path: string, framing: string): string =>
    requestHead(`PATCH ${path} HTTP/1.1`, ['Host: x', TUS, OCTETS, 'Upload-Offset: 0', 'Connection: close', framing])

  it('[T-21] keeps the bytes of a body shorter than its Content-Length when the client ends the connection (400)', async () => {
    const path = await createUpload(gateway, 100)
    const exchange = await sendRaw(gateway.port, [patchHead(path, 'Content-Length: 50'), 'abcdefghij'], { after: 'end' })
    expect(statuses(exchange)).toEqual([400])
    expect(await offsetOf(gateway, path)).toBe('10')
  })

  it('[T-21] keeps the bytes of a body shorter than its Content-Length when the client resets the connection', async () => {
    const path = await createUpload(gateway, 100)
    await sendRaw(gateway.port, [patchHead(path, 'Content-Length: 50'), 'abcdefghij'], { after: 'reset', gapMs: 100 })
    await expect.poll(() => offsetOf(gateway, path)).toBe('10')
  })

  it('[T-20] [T-21] answers a body that stalls short of its Content-Length with 500 after --network-timeout, keeping its bytes', async () => {
    const path = await createUpload(gateway, 100)
    const exchange = await sendRaw(gateway.port, [patchHead(path, 'Content-Length: 50'), 'abcdefghij'])
    expect(statuses(exchange)).toEqual([500])
    expect(await offsetOf(gateway, path)).toBe('10')
  })

  it('[T-21] stores only Content-Length bytes of a longer body; the rest is a request of its own, refused', async () => {
    const path = await createUpload(gateway, 100)
    const exchange = await sendRaw(gateway.port, [patchHead(path, 'Content-Length: 5'), 'abcdefghij\r\n\r\n'])
    expect(statuses(exchange).every((status) => status < 500), exchange.text).toBe(true)
    expect(statuses(exchange)).toContain(400)
    expect(await offsetOf(gateway, path)).toBe('5')
  })

  it('[T-21] keeps the chunks before a chunk size that is not hex (400)', async () => {
    const path = await createUpload(gateway, 100)
    const exchange = await sendRaw(gateway.port, [patchHead(path, 'Transfer-Encoding: chunked'), '5\r\nabcde\r\n', 'zz\r\nxyz\r\n'])
    expect(statuses(exchange)).toEqual([400])
    expect(await offsetOf(gateway, path)).toBe('5')
  })

  it('[T-21] keeps the bytes of a chunk cut short by the end of the connection (400)', async () => {
    const path = await createUpload(gateway, 100)
    const exchange = await sendRaw(gateway.port, [patchHead(path, 'Transfer-Encoding: chunked'), '5\r\nabcde\r\n', '10\r\nabc'], { after: 'end' })
    expect(statuses(exchange)).toEqual([400])
    expect(await offsetOf(gateway, path)).toBe('8')
  })

  it('[T-21] refuses a chunk without its closing CRLF, a chunk size past 2^64 and a broken trailer (400), keeping what came before', async () => {
    for (const [rest, kept] of [
      ['3\r\nabcXX', '8'],
      ['ffffffffffffffffff\r\nabc', '5'],
      ['0\r\nbad trailer\r\n\r\n', '5'],
    ] as const) {
      const path = await createUpload(gateway, 100)
      const exchange = await sendRaw(gateway.port, [patchHead(path, 'Transfer-Encoding: chunked'), '5\r\nabcde\r\n', rest])
      expect(statuses(exchange), rest).toEqual([400])
      expect(await offsetOf(gateway, path), rest).toBe(kept)
    }
  })

  it('[T-21] refuses a chunk extension of 20 KB with 413, keeping the chunks before it', async () => {
    const path = await createUpload(gateway, 100)
    const exchange = await sendRaw(gateway.port, [patchHead(path, 'Transfer-Encoding: chunked'), '5\r\nabcde\r\n', `3;${'x'.repeat(20_000)}\r\nabc\r\n0\r\n\r\n`])
    expect(statuses(exchange)).toEqual([413])
    expect(await offsetOf(gateway, path)).toBe('5')
  })

  it('[T-20] [T-21] answers a chunked body that stalls with 500 after --network-timeout, keeping its chunks', async () => {
    const path = await createUpload(gateway, 100)
    const exchange = await sendRaw(gateway.port, [patchHead(path, 'Transfer-Encoding: chunked'), '5\r\nabcde\r\n'])
    expect(statuses(exchange)).toEqual([500])
    expect(await offsetOf(gateway, path)).toBe('5')
  })

  it('[T-34] stops a chunked body at Upload-Length with 413, keeping the bytes up to it', async () => {
    const path = await createUpload(gateway, 5)
    const exchange = await sendRaw(gateway.port, [patchHead(path, 'Transfer-Encoding: chunked'), '3\r\nabc\r\n', '5\r\ndefgh\r\n0\r\n\r\n'])
    expect(statuses(exchange)).toEqual([413])
    expect(await offsetOf(gateway, path)).toBe('5')
  })
})
