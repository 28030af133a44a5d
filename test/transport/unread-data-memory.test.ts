import { once } from 'node:events'
import net from 'node:net'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { describe, expect, it } from 'vitest'
import { startListener } from './listener-harness.js'
import { data, frame, headers, PREFACE, settings, settingsAck } from './raw-h2.js'

// What an HTTP/2 request body nobody reads yet (a PATCH waiting for its upload's lock, say) costs in memory:
// about its bytes, which the stream window bounds, however the client cuts it into DATA frames.

setFlagsFromString('--expose-gc')
const collectGarbage = runInNewContext('gc') as () => void

/**
 * Bytes of ArrayBuffers still alive after full collections. V8 frees the memory of dead ArrayBuffers on
 * background threads after a collection, late on a busy machine: the least of a few tries, a turn apart.
 */
async function liveArrayBuffers(): Promise<number> {
  let least = Number.POSITIVE_INFINITY
  for (let attempt = 0; attempt < 5; attempt++) {
    collectGarbage()
    await new Promise((resolve) => setTimeout(resolve, 20))
    least = Math.min(least, process.memoryUsage().arrayBuffers)
  }
  return least
}

describe('an HTTP/2 body nobody reads yet', () => {
  it('costs about its size even in 1-byte DATA frames mixed with frames the server ignores', async () => {
    const server = await startListener(() => new Promise(() => {}))
    const socket = net.connect(server.port, '127.0.0.1')
    socket.on('error', () => {})
    try {
      await once(socket, 'connect')
      socket.write(Buffer.concat([PREFACE, settings(), settingsAck(), headers(1, [[':method', 'PATCH'], [':path', '/'], [':scheme', 'http'], [':authority', 'x']])]))
      // RFC 9113 §5.5: frames of an unknown type are ignored, and cost no flow-control window. Each 1-byte
      // DATA frame arrives in a socket read of tens of KiB: node hands it over as a slice of that read.
      const pair = Buffer.concat([data(1, Buffer.from('x')), frame(0xfa, 0, 0, Buffer.alloc(16_000))])
      const batch = Buffer.concat(Array.from({ length: 64 }, () => pair))
      const before = await liveArrayBuffers()
      // 32,768 bytes of body, about 512 MiB on the wire.
      for (let sent = 0; sent < 512; sent++) {
        if (!socket.write(batch)) await once(socket, 'drain')
      }
      // Until the server has read it all: it answers a PING only after the frames before it.
      socket.write(frame(6, 0, 0, Buffer.alloc(8)))
      await new Promise<void>((resolve) => {
        socket.on('data', (bytes: Buffer) => {
          if (bytes.includes(Buffer.from([0, 0, 8, 6, 1]))) resolve()
        })
      })
      const held = (await liveArrayBuffers()) - before
      expect(held).toBeLessThan(16 * 1024 * 1024)
    } finally {
      socket.destroy()
      server.close()
    }
  })
})
