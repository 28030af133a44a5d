/**
 * Just enough HTTP/2 framing (RFC 9113 §4, §6) and HPACK (RFC 7541) to write exact byte sequences
 * to the gateway: several frames in one packet, more streams than allowed, headers larger than
 * allowed. Headers are sent as literals without indexing; answers are read frame by frame, and only
 * the first header of a response block (`:status`) is decoded.
 */

/** The client connection preface (RFC 9113 §3.4). */
export const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1')

export const FrameType = { DATA: 0, HEADERS: 1, RST_STREAM: 3, SETTINGS: 4, PING: 6, GOAWAY: 7, WINDOW_UPDATE: 8 } as const
export const Flag = { END_STREAM: 0x1, ACK: 0x1, END_HEADERS: 0x4 } as const
/** RFC 9113 §6.5.2 setting identifiers. */
export const Setting = { HEADER_TABLE_SIZE: 0x1, INITIAL_WINDOW_SIZE: 0x4 } as const
/** RFC 9113 §7 error codes. */
export const ErrorCode = { NO_ERROR: 0, PROTOCOL_ERROR: 1, REFUSED_STREAM: 7, CANCEL: 8, ENHANCE_YOUR_CALM: 11 } as const

/** One frame as read from the wire. */
export interface Frame {
  readonly type: number
  readonly flags: number
  readonly streamId: number
  readonly payload: Buffer
}

/** Encodes one frame. */
export function frame(type: number, flags: number, streamId: number, payload: Uint8Array = Buffer.alloc(0)): Buffer {
  const head = Buffer.alloc(9)
  head.writeUIntBE(payload.length, 0, 3)
  head[3] = type
  head[4] = flags
  head.writeUInt32BE(streamId & 0x7fffffff, 5)
  return Buffer.concat([head, payload])
}

/** A SETTINGS frame with the given (identifier, value) pairs; no pairs for the client's opening SETTINGS. */
export function settings(pairs: ReadonlyArray<readonly [number, number]> = []): Buffer {
  const payload = Buffer.alloc(pairs.length * 6)
  pairs.forEach(([id, value], i) => {
    payload.writeUInt16BE(id, i * 6)
    payload.writeUInt32BE(value, i * 6 + 2)
  })
  return frame(FrameType.SETTINGS, 0, 0, payload)
}

/** A SETTINGS frame acknowledging the peer's (RFC 9113 §6.5.3): the peer's settings apply from then on. */
export function settingsAck(): Buffer {
  return frame(FrameType.SETTINGS, Flag.ACK, 0)
}

/** A HEADERS frame carrying a whole header block (END_HEADERS), with END_STREAM if asked. */
export function headers(streamId: number, fields: ReadonlyArray<readonly [string, string]>, endStream = false): Buffer {
  const block = Buffer.concat(fields.map(([name, value]) => literal(name, value)))
  return frame(FrameType.HEADERS, Flag.END_HEADERS | (endStream ? Flag.END_STREAM : 0), streamId, block)
}

/** A WINDOW_UPDATE frame (RFC 9113 §6.9) for a stream, or for the connection with stream 0. */
export function windowUpdate(streamId: number, increment: number): Buffer {
  const payload = Buffer.alloc(4)
  payload.writeUInt32BE(increment & 0x7fffffff)
  return frame(FrameType.WINDOW_UPDATE, 0, streamId, payload)
}

/** A DATA frame, with END_STREAM if asked. */
export function data(streamId: number, bytes: Uint8Array, endStream = false): Buffer {
  return frame(FrameType.DATA, endStream ? Flag.END_STREAM : 0, streamId, bytes)
}

// RFC 7541 §6.2.2: literal header field without indexing, new name, no Huffman coding.
function literal(name: string, value: string): Buffer {
  const n = Buffer.from(name, 'latin1')
  const v = Buffer.from(value, 'latin1')
  return Buffer.concat([Buffer.from([0x00]), integer(n.length, 7), n, integer(v.length, 7), v])
}

// RFC 7541 §5.1: an integer with an N-bit prefix (the prefix's other bits are zero here).
function integer(value: number, prefixBits: number): Buffer {
  const max = (1 << prefixBits) - 1
  if (value < max) return Buffer.from([value])
  const bytes = [max]
  let rest = value - max
  while (rest >= 128) {
    bytes.push((rest % 128) + 128)
    rest = Math.floor(rest / 128)
  }
  bytes.push(rest)
  return Buffer.from(bytes)
}

/** Splits the frames off the front of `buffer`; returns them and the bytes of an unfinished frame. */
export function parseFrames(buffer: Buffer): { frames: Frame[]; rest: Buffer } {
  const frames: Frame[] = []
  let at = 0
  while (buffer.length - at >= 9) {
    const length = buffer.readUIntBE(at, 3)
    if (buffer.length - at < 9 + length) break
    frames.push({
      type: buffer[at + 3] as number,
      flags: buffer[at + 4] as number,
      streamId: buffer.readUInt32BE(at + 5) & 0x7fffffff,
      payload: buffer.subarray(at + 9, at + 9 + length),
    })
    at += 9 + length
  }
  return { frames, rest: buffer.subarray(at) }
}

// RFC 7541 Appendix A: the static table entries for :status.
const STATIC_STATUS: Record<number, number> = { 8: 200, 9: 204, 10: 206, 11: 304, 12: 400, 13: 404, 14: 500 }

/**
 * The `:status` of a response HEADERS frame: node sends it first, either as a static-table index or
 * as a literal whose name is that of a `:status` entry (its value then is three plain digits). A status
 * node stored in its dynamic table is sent as an index into it, which this cannot read: a client that
 * reads many answers announces SETTINGS_HEADER_TABLE_SIZE 0 (`Setting.HEADER_TABLE_SIZE`).
 */
export function responseStatus(headersFrame: Frame): number {
  const block = withoutTableSizeUpdates(headersFrame.payload)
  const first = block[0] as number
  if ((first & 0x80) !== 0) {
    const status = STATIC_STATUS[first & 0x7f]
    if (status === undefined) throw new Error(`unexpected indexed field ${first & 0x7f}`)
    return status
  }
  // A literal with an indexed name: the value follows as (length, digits), unless Huffman-coded.
  const lengthByte = block[1] as number
  const text = block.subarray(2, 2 + (lengthByte & 0x7f))
  if ((lengthByte & 0x80) !== 0) return huffmanStatus(text)
  return Number(text.toString('latin1'))
}

// RFC 7541 §6.3: a header block may open with dynamic table size updates (001xxxxx, a 5-bit prefix
// integer), as after a client's SETTINGS_HEADER_TABLE_SIZE.
function withoutTableSizeUpdates(block: Buffer): Buffer {
  let at = 0
  while (at < block.length && ((block[at] as number) & 0xe0) === 0x20) {
    const prefixFull = ((block[at] as number) & 0x1f) === 0x1f
    at += 1
    if (prefixFull) while (at < block.length && ((block[at++] as number) & 0x80) !== 0);
  }
  return block.subarray(at)
}

// RFC 7541 Appendix B: the 5-bit Huffman codes of the ten digits ('0'-'2' are 5 bits, the rest 6).
const DIGIT_CODES: ReadonlyArray<readonly [string, number, number]> = [
  ['0', 0x0, 5], ['1', 0x1, 5], ['2', 0x2, 5], ['3', 0x19, 6], ['4', 0x1a, 6],
  ['5', 0x1b, 6], ['6', 0x1c, 6], ['7', 0x1d, 6], ['8', 0x1e, 6], ['9', 0x1f, 6],
]

function huffmanStatus(bytes: Buffer): number {
  let bits = ''
  for (const byte of bytes) bits += byte.toString(2).padStart(8, '0')
  let digits = ''
  while (digits.length < 3) {
    const match = DIGIT_CODES.find(([, code, length]) => bits.startsWith(code.toString(2).padStart(length, '0')))
    if (match === undefined) throw new Error('not a Huffman-coded status')
    digits += match[0]
    bits = bits.slice(match[2])
  }
  return Number(digits)
}

/** The error code of a RST_STREAM or GOAWAY frame. */
export function errorCode(f: Frame): number {
  return f.type === FrameType.GOAWAY ? f.payload.readUInt32BE(4) : f.payload.readUInt32BE(0)
}
