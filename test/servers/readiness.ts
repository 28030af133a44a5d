import { createServer, connect } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import { logTail, type Daemon } from './daemon.js'

/**
 * A free TCP port on 127.0.0.1, found by binding port 0 and closing it again. Another process may take
 * it before the server binds it; start-up helpers retry once with new ports for that reason.
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.unref()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() => {
        if (typeof address === 'object' && address !== null) resolve(address.port)
        else reject(new Error(`unexpected server address ${String(address)}`))
      })
    })
  })
}

/** Thrown by {@link waitUntil} when a watched daemon ends or the deadline passes first. */
export class NotReady extends Error {}

/** What {@link waitUntil} needs besides the check. */
export interface WaitOptions {
  /** Give up after this long (default 15 s). */
  readonly timeoutMs?: number
  /** Pause between two checks (default 50 ms). */
  readonly intervalMs?: number
  /** Stop waiting as soon as one of these ends: the check would never pass. */
  readonly watch?: readonly Daemon[]
}

/**
 * Runs `check` until it resolves to true. Throws {@link NotReady} naming `what` when a watched daemon
 * exits first (with the end of its log) or when `timeoutMs` passes (with the last error `check` threw).
 * A check that throws counts as "not yet".
 */
export async function waitUntil(what: string, check: () => Promise<boolean>, options: WaitOptions = {}): Promise<void> {
  const deadline = Date.now() + (options.timeoutMs ?? 15_000)
  let lastError: unknown
  for (;;) {
    for (const daemon of options.watch ?? []) {
      const exit = daemon.exit()
      if (exit !== undefined) {
        const how = exit.signal ?? `code ${String(exit.code)}`
        throw new NotReady(`${daemon.name} (pid ${daemon.pid}) exited (${how}) while waiting for ${what}; its output:\n${logTail(daemon.logFile)}`)
      }
    }
    try {
      if (await check()) return
      lastError = undefined
    } catch (error) {
      lastError = error
    }
    if (Date.now() >= deadline) {
      const last = lastError instanceof Error ? `; last error: ${lastError.message}` : ''
      throw new NotReady(`timed out waiting for ${what}${last}`, { cause: lastError })
    }
    await sleep(options.intervalMs ?? 50)
  }
}

/** Resolves to true when a TCP connection to `host:port` opens within `timeoutMs`, false otherwise. */
export function acceptsTcp(port: number, host = '127.0.0.1', timeoutMs = 1_000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ port, host, timeout: timeoutMs })
    const done = (ok: boolean): void => {
      socket.destroy()
      resolve(ok)
    }
    socket.once('connect', () => done(true))
    socket.once('timeout', () => done(false))
    socket.once('error', () => done(false))
  })
}

/** Resolves to true when `url` answers an HTTP GET with any status within `timeoutMs`, false otherwise. */
export async function answersHttp(url: string, timeoutMs = 2_000): Promise<boolean> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) })
    await response.body?.cancel()
    return true
  } catch {
    return false
  }
}
