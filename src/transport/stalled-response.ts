import type { Readable } from 'node:stream'

/** The client took nothing of a streamed response for `idleMs`: it was stopped. */
export class ResponseStalled extends Error {
  constructor(readonly idleMs: number) {
    super(`the client took nothing of the response for ${idleMs} ms`)
    this.name = 'ResponseStalled'
  }
}

/**
 * Destroys `body`, a response body being piped to the client, with `ResponseStalled` once it has stayed paused
 * for `idleMs`: the response could pass nothing on (its buffer is full) because the client reads nothing, or
 * keeps its HTTP/2 window at 0. The pipe pauses the body when the response's buffer is full and resumes it once
 * the buffer drained, so every drain counts as progress and a slow client that keeps reading is never cut;
 * a body that is slow to produce (an application's answer passed on) is not paused, so its time never counts.
 * Returns a function that stops watching; watching also stops when the body closes. 0 turns it off.
 *
 * Why: a body holds what it reads from (an upload's data file, an application's socket) until it ends. Without
 * this, one client could hold a descriptor per response for as long as its connection lives (an adversarial test:
 * 20 h2c connections of 100 unread GETs took every descriptor of a gateway under `ulimit -n 1024`), as nginx's
 * send_timeout and Go's WriteTimeout prevent.
 */
export function stopWhenStalled(body: Readable, idleMs: number): () => void {
  if (idleMs <= 0) return () => {}
  let timer: NodeJS.Timeout | undefined
  const arm = (): void => {
    clearTimeout(timer)
    timer = setTimeout(() => body.destroy(new ResponseStalled(idleMs)), idleMs)
  }
  const disarm = (): void => clearTimeout(timer)
  const stop = (): void => {
    disarm()
    body.off('pause', arm).off('resume', disarm).off('close', stop)
  }
  body.on('pause', arm).on('resume', disarm).once('close', stop)
  return stop
}
