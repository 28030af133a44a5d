import { Redis, type RedisOptions } from 'ioredis'
import { ACQUIRE, CHECK, LEAVE, RELEASE, REMEMBER, RENEW } from './redis-scripts.js'

// Redis's answers to a wrong user or password, or to none where one is required.
const REFUSED_CREDENTIALS = /^(WRONGPASS|NOAUTH)\b/

/** The scripts, by the name each is called with, and how many of their arguments are keys. */
const SCRIPTS = {
  rgAcquire: { lua: ACQUIRE, numberOfKeys: 5 },
  rgCheck: { lua: CHECK, numberOfKeys: 4 },
  rgRelease: { lua: RELEASE, numberOfKeys: 4 },
  rgLeave: { lua: LEAVE, numberOfKeys: 4 },
  rgRenew: { lua: RENEW, numberOfKeys: 1 },
  rgRemember: { lua: REMEMBER, numberOfKeys: 1 },
} as const

export type ScriptName = keyof typeof SCRIPTS

/** A reply of a script: an array of strings and numbers (Redis turns Lua numbers into integers). */
export type ScriptReply = readonly (string | number)[]

/**
 * The two connections of a locker: one for commands, which fail at once while Redis cannot be reached
 * (no offline queue, no retry, a bounded wait for each reply), so that a request gets its 503 instead of
 * waiting; and one subscribed to the locker's channel, which ioredis reconnects and resubscribes by
 * itself. Both retry connecting every ≤ 1 s for as long as they live.
 */
export class RedisConnection {
  readonly commands: Redis
  readonly subscriber: Redis

  constructor(url: string, commandTimeoutMs: number, onError: (error: unknown, connection: string) => void) {
    const common: RedisOptions = {
      connectTimeout: Math.max(1000, commandTimeoutMs),
      retryStrategy: (attempt) => Math.min(attempt * 100, 1000),
      // The locker checks again on its own timers; ioredis must not hold commands back for it.
      maxRetriesPerRequest: 0,
    }
    this.commands = new Redis(url, { ...common, enableOfflineQueue: false, commandTimeout: commandTimeoutMs })
    // SUBSCRIBE may be issued before the connection is up: it waits in the offline queue.
    this.subscriber = new Redis(url, { ...common, enableOfflineQueue: true })
    for (const [name, definition] of Object.entries(SCRIPTS)) this.commands.defineCommand(name, definition)
    // Without a listener, ioredis prints every connection error; the locker reports them once per outage.
    this.commands.on('error', (error: unknown) => onError(error, 'commands'))
    this.subscriber.on('error', (error: unknown) => onError(error, 'subscriber'))
  }

  /** Runs a script (EVALSHA, EVAL once after a Redis restart forgot it). Throws what ioredis throws (unreachable, timed out). */
  async run(name: ScriptName, keys: readonly string[], args: readonly (string | number)[]): Promise<ScriptReply> {
    const command = (this.commands as unknown as Record<ScriptName, (...params: (string | number)[]) => Promise<unknown>>)[name]
    const reply = await command.call(this.commands, ...keys, ...args)
    return Array.isArray(reply) ? (reply as ScriptReply) : [reply as number]
  }

  /**
   * Resolves once the command connection is ready, or after `timeoutMs` (it keeps trying after). Rejects
   * when Redis refuses the URL's credentials (`WRONGPASS`, `NOAUTH`) or has no database of the URL's number:
   * no retry mends either (ioredis goes on in database 0 then, where the other gateways' locks are not).
   */
  async ready(timeoutMs: number): Promise<boolean> {
    const ready = await this.#connected(timeoutMs)
    const { db } = this.commands.options
    if (ready && db !== undefined && db !== 0) {
      await this.commands.select(db).catch((error: unknown) => {
        throw new RangeError(`Redis has no database ${db} (the URL's path): ${error instanceof Error ? error.message : String(error)}`)
      })
    }
    return ready
  }

  #connected(timeoutMs: number): Promise<boolean> {
    if (this.commands.status === 'ready') return Promise.resolve(true)
    return new Promise((resolve, reject) => {
      const stopWaiting = (): void => {
        clearTimeout(timer)
        this.commands.off('ready', onReady)
        this.commands.off('error', onError)
      }
      const onReady = (): void => {
        stopWaiting()
        resolve(true)
      }
      const onError = (error: unknown): void => {
        if (!(error instanceof Error && REFUSED_CREDENTIALS.test(error.message))) return
        stopWaiting()
        reject(new RangeError(`Redis refused the credentials of the URL: ${error.message}`))
      }
      const timer = setTimeout(() => {
        stopWaiting()
        resolve(false)
      }, timeoutMs)
      this.commands.on('ready', onReady)
      this.commands.on('error', onError)
    })
  }

  /** Closes both connections: politely (QUIT) when Redis answers, at once otherwise. */
  async close(): Promise<void> {
    await Promise.all(
      [this.commands, this.subscriber].map(async (connection) => {
        if (connection.status !== 'ready') {
          connection.disconnect()
          return
        }
        await Promise.race([connection.quit().catch(() => undefined), new Promise((resolve) => setTimeout(resolve, 1000).unref())])
        connection.disconnect()
      }),
    )
  }
}
