import { connect } from 'node:net'
import { missingCommands, type ServerKind, type TestServer } from './availability.js'
import type { Daemon } from './daemon.js'
import { freePort, waitUntil } from './readiness.js'
import { ServerStartError, startWithRetry, Startup } from './startup.js'

/** A redis-server (Debian's) on 127.0.0.1, without persistence: its data lives in memory only. */
export interface RedisServer extends TestServer {
  /** `redis://127.0.0.1:PORT` */
  readonly url: string
  readonly host: string
  readonly port: number
  /** Its working directory (temporary, removed by `stop()`). */
  readonly dir: string
  /** The pid of the running redis-server; it changes with `restart()`. */
  pid(): number
  /**
   * Stops redis-server (SIGTERM) and starts a new one on the same port, resolving once it answers PING.
   * Every key is gone afterwards (no persistence) and clients see their connections drop.
   * Throws a {@link ServerStartError} if the new one does not come up.
   */
  restart(): Promise<void>
  /** SIGSTOPs the server: connections stay open but nothing is answered until `resume()`. */
  pause(): void
  /** SIGCONTs a paused server. */
  resume(): void
}

/** redis-server from Debian's `redis-server` package. */
export const redis: ServerKind<RedisServer> = {
  name: 'redis-server',
  unavailable: () =>
    missingCommands(['redis-server']).length === 0 ? undefined : 'redis-server not installed (apt-get install -y redis-server)',
  start: () => startRedis(),
}

/**
 * Starts redis-server on a free loopback port with `--save '' --appendonly no` in a fresh temp directory,
 * resolving once it answers PING (~50 ms). Retries once with a new port; throws a {@link ServerStartError}
 * with its output if it does not start. Callers must `stop()` it.
 */
export function startRedis(): Promise<RedisServer> {
  return startWithRetry('redis-server', async () => {
    const startup = await Startup.begin('redis')
    try {
      const port = await freePort()
      let daemon = await launch(startup, port)
      return {
        url: `redis://127.0.0.1:${port}`,
        host: '127.0.0.1',
        port,
        dir: startup.dir,
        pid: () => daemon.pid,
        async restart() {
          await daemon.stop()
          try {
            daemon = await launch(startup, port)
          } catch (error) {
            throw new ServerStartError(`redis-server did not restart on port ${port}`, { cause: error })
          }
        },
        pause: () => daemon.signal('SIGSTOP'),
        resume: () => daemon.signal('SIGCONT'),
        stop: () => startup.finish(),
      }
    } catch (error) {
      return startup.abandon(error)
    }
  })
}

async function launch(startup: Startup, port: number): Promise<Daemon> {
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', startup.dir]
  const daemon = startup.spawn('redis-server', 'redis-server', args)
  await waitUntil(`redis-server to answer PING on port ${port}`, () => answersPing(port), { watch: [daemon], timeoutMs: 10_000 })
  return daemon
}

/** Resolves to true when the server on `port` answers `PING` with `+PONG`, false otherwise. */
function answersPing(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: '127.0.0.1', timeout: 1_000 })
    let reply = ''
    const done = (ok: boolean): void => {
      socket.destroy()
      resolve(ok)
    }
    socket.once('connect', () => socket.write('PING\r\n'))
    socket.setEncoding('utf8').on('data', (text: string) => {
      reply += text
      if (reply.includes('\r\n')) done(reply.startsWith('+PONG'))
    })
    socket.once('timeout', () => done(false))
    socket.once('error', () => done(false))
    socket.once('close', () => done(false))
  })
}
