import type { Readable } from 'node:stream'

const BLOCK_SIZE = 64 * 1024

/**
 * Makes the DATA of an HTTP/2 request body that its reader has not caught up with cost about its size
 * in memory: at most the stream window, however the client cuts it into frames.
 *
 * Why: node hands each DATA frame to the stream as a slice of the socket read it came in (up to 64 KiB),
 * and a slice keeps that whole read alive. A client sending 1-byte DATA frames, each followed by frames
 * the server ignores (RFC 9113 §5.5: unknown types cost no flow-control window), made every byte of a
 * stream nobody read yet (a PATCH waiting for its upload's lock) hold a socket read: 32 KiB of body held
 * 500 MiB, and one connection with its 16 body streams could hold any amount. Each slice is also an
 * object of its own in the stream's buffer, about a hundred bytes per 1-byte frame.
 *
 * How: a frame that arrives while the stream's buffer is empty goes in as it is (a reader keeping up
 * pays nothing); one that arrives while data waits there is copied into blocks of 64 KiB instead, held
 * here, and handed on as those blocks once the reader has emptied the buffer. The stream then holds at
 * most one slice, its window's worth of blocks, and one partly filled block. Held data counts as unread:
 * the push reports a full buffer, so node stops replenishing the stream's window until the reader reads,
 * as it does for a buffer above its high-water mark.
 *
 * Done by shadowing the stream's `push` (node's socket reader calls it, for each frame and at the end)
 * and `read` (every reader goes through it: async iteration, 'data', the discarding of an unread body)
 * with own properties.
 */
export function compactUnreadData(stream: Readable): void {
  const push = stream.push.bind(stream)
  const read = stream.read.bind(stream)
  const full: Buffer[] = []
  let block: Buffer | undefined
  let filled = 0

  const hold = (chunk: Buffer): void => {
    for (let at = 0; at < chunk.length; ) {
      block ??= Buffer.allocUnsafeSlow(BLOCK_SIZE)
      const copied = chunk.copy(block, filled, at)
      at += copied
      filled += copied
      if (filled === BLOCK_SIZE) {
        full.push(block)
        block = undefined
        filled = 0
      }
    }
  }
  const handOn = (): void => {
    for (const each of full.splice(0)) push(each)
    if (block !== undefined) push(block.subarray(0, filled))
    block = undefined
    filled = 0
  }
  const holding = (): boolean => full.length > 0 || block !== undefined

  stream.push = (chunk: Buffer | null, encoding?: BufferEncoding): boolean => {
    if (chunk === null) {
      handOn()
      return push(null)
    }
    if (!holding() && stream.readableLength === 0) return push(chunk, encoding)
    hold(chunk)
    return false
  }
  stream.read = (size?: number): unknown => {
    const result: unknown = read(size)
    if (stream.readableLength === 0 && holding()) handOn()
    return result
  }
}
