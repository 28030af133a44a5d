import type { Socket } from 'node:net'

const pending = new WeakMap<Socket, Promise<void>>()

/**
 * Runs `handle` once every exchange received before it on the same HTTP/1.1 connection is done.
 *
 * node parses pipelined requests (RFC 9112 §9.3.2) as they arrive and emits each at once, only
 * ordering the responses. Handled concurrently, a pipelined HEAD would ask the PATCH before it to
 * release its upload before that PATCH had read its body. A connection's requests are a sequence;
 * this keeps them one. HTTP/2 streams are independent and need no such order.
 */
export function inConnectionOrder(socket: Socket, handle: () => Promise<void>): void {
  const previous = pending.get(socket)
  const done = (previous === undefined ? handle() : previous.then(handle)).catch(() => {})
  pending.set(socket, done)
  void done.then(() => {
    if (pending.get(socket) === done) pending.delete(socket)
  })
}
