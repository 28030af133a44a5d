import { mkdtemp, rm } from 'node:fs/promises'
import type { Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pino } from 'pino'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createGateway, type Gateway } from '../../src/gateway.js'
import { createUpload, idOf, offsetOf, openPatch, patch, waitForStoredBytes } from './tus-http.js'

// A connection lost in the middle of a body: the bytes that arrived are stored, and the client resumes
// from them. (A connection that dies silently, without FIN or RST, is lock-release.test.ts.)

describe('a connection lost mid-body', () => {
  let uploadDir: string
  let gateway: Gateway
  let collection: string

  beforeEach(async () => {
    uploadDir = await mkdtemp(join(tmpdir(), 'rg-loss-'))
    gateway = await createGateway({ host: '127.0.0.1', port: 0, uploadDir, logger: pino({ level: 'silent' }) })
    collection = await gateway.listen()
  })
  afterEach(async () => {
    await gateway.close()
    await rm(uploadDir, { recursive: true, force: true })
  })

  it.each([
    ['closed (FIN)', (socket: Socket) => socket.end()],
    ['reset (RST)', (socket: Socket) => socket.resetAndDestroy()],
  ])('[T-21] keeps the bytes received when the connection is %s, and the client resumes from them', async (_how, cut) => {
    const url = await createUpload(collection, 1000)
    const lost = openPatch(url, 0, 1000)
    await lost.write(Buffer.alloc(600, 'a'))
    await waitForStoredBytes(uploadDir, idOf(url), 600)
    const socket = lost.request.socket
    if (socket === null) throw new Error('the PATCH has no socket')
    cut(socket)
    await lost.ended

    // Whether or not the gateway has noticed the loss yet, the HEAD gets the lock only once the PATCH stored its bytes.
    expect(await offsetOf(url)).toBe(600)
    const resumed = await patch(url, 600, Buffer.alloc(400, 'b'))
    expect(resumed).toMatchObject({ status: 204, headers: { 'upload-offset': '1000' } })
  })
})
