import { mkdtemp, rm } from 'node:fs/promises'
import net from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { spawnGateway, type GatewayProcess } from './gateway-process.js'

// The issue's measurement: 400 connections holding half-sent requests, the gateway under `ulimit -n
// 256`, locked every new client out (and the process ran out of descriptors). With the defaults derived
// from that limit (112 connections, 56 per address) the flood gets 503s past its share, the process
// keeps its descriptors, and clients from other addresses are served.

/** A connection from `localAddress` that sends the start of a request head and then nothing. */
interface Held {
  readonly socket: net.Socket
  received: string
  closed: boolean
}

function hold(port: number, localAddress: string): Promise<Held> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host: '127.0.0.1', localAddress })
    const held: Held = { socket, received: '', closed: false }
    socket.setEncoding('latin1')
    socket.on('data', (text: string) => (held.received += text))
    socket.on('error', () => {})
    socket.on('close', () => (held.closed = true))
    socket.once('connect', () => {
      socket.write('PATCH /files/0123456789abcdef0123456789abcdef HTTP/1.1\r\nHost: localhost\r\nContent-Le')
      resolve(held)
    })
    socket.once('error', () => resolve(held))
  })
}

/** A whole tus upload of 5 bytes over fresh connections from `localAddress`; returns the statuses. */
async function upload(origin: string, localAddress: string): Promise<number[]> {
  const request = (method: string, path: string, headers: string, body = ''): Promise<{ status: number; head: string }> =>
    new Promise((resolve, reject) => {
      const socket = net.connect({ port: Number(new URL(origin).port), host: '127.0.0.1', localAddress })
      let text = ''
      socket.setEncoding('latin1')
      socket.on('data', (part: string) => (text += part))
      socket.on('error', reject)
      socket.on('close', () => resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0), head: text }))
      socket.write(`${method} ${path} HTTP/1.1\r\nHost: localhost\r\nTus-Resumable: 1.0.0\r\nConnection: close\r\n${headers}Content-Length: ${body.length}\r\n\r\n${body}`)
    })
  const created = await request('POST', '/files/', 'Upload-Length: 5\r\n')
  const location = /\r\nlocation: (\S+)\r\n/i.exec(created.head)?.[1]
  if (location === undefined) return [created.status]
  const path = new URL(location).pathname
  const patched = await request('PATCH', path, 'Upload-Offset: 0\r\nContent-Type: application/offset+octet-stream\r\n', 'hello')
  const status = await request('HEAD', path, '')
  return [created.status, patched.status, status.status]
}

describe('a flood of connections under a small open-file limit', () => {
  let workDir: string
  let gateway: GatewayProcess | undefined
  const sockets: net.Socket[] = []

  beforeEach(async () => {
    workDir = await mkdtemp(join(tmpdir(), 'rg-flood-'))
  })
  afterEach(async () => {
    for (const socket of sockets.splice(0)) socket.destroy()
    await gateway?.stop()
    gateway = undefined
    await rm(workDir, { recursive: true, force: true })
  })

  it('holds each address to its share under ulimit -n 256, refuses the excess with 503 at once, and serves others', async () => {
    gateway = await spawnGateway(['--upload-dir', workDir, '--log-level', 'warn'], { openFileLimit: 256 })
    const flood = await Promise.all(Array.from({ length: 400 }, () => hold(gateway!.port, '127.0.0.1')))
    sockets.push(...flood.map((held) => held.socket))
    // Every refused connection is closed at once; the others stay, waiting for their heads.
    const stillOpen = (connections: Held[]): number => connections.filter((held) => !held.closed).length
    while (stillOpen(flood) > 56) await sleep(20)
    const answered503 = flood.filter((held) => /^HTTP\/1\.1 503 [\s\S]*Retry-After: 5/.test(held.received))
    // The default for 256 descriptors: 112 connections, 56 per address.
    expect(stillOpen(flood)).toBe(56)
    expect(answered503.length).toBeGreaterThan(0)
    expect(answered503[0]?.received).toMatch(/too many connections from your address/)

    // Another address is served, over and over.
    for (let i = 0; i < 5; i++) expect(await upload(gateway.origin, '127.0.0.2')).toEqual([201, 204, 200])

    // A second flooding address takes its share too; then the gateway is full and says so.
    const second = await Promise.all(Array.from({ length: 100 }, () => hold(gateway!.port, '127.0.0.3')))
    sockets.push(...second.map((held) => held.socket))
    while (stillOpen(second) > 56) await sleep(20)
    expect(stillOpen(second)).toBe(56)
    const full = await hold(gateway.port, '127.0.0.4')
    sockets.push(full.socket)
    while (!full.closed) await sleep(10)
    expect(full.received).toMatch(/^HTTP\/1\.1 503 [\s\S]*the server has too many connections open/)

    // When the flood leaves, everyone is served again; the process never ran out of descriptors.
    for (const socket of sockets.splice(0)) socket.destroy()
    let statuses: number[] = []
    for (let attempt = 0; attempt < 50 && statuses[0] !== 201; attempt++) {
      statuses = await upload(gateway.origin, '127.0.0.4')
      if (statuses[0] !== 201) await sleep(50)
    }
    expect(statuses).toEqual([201, 204, 200])
    expect(gateway.stderrLines().filter((line) => /EMFILE|too many open files/i.test(line))).toEqual([])
  }, 60_000)
})
