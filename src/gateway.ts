import { randomBytes } from 'node:crypto'
import type { Logger } from 'pino'
import { UploadEvents } from './core/events.js'
import { ExpirationSweeper } from './core/expiry/expiration-sweeper.js'
import type { ExpiredUploads } from './core/expiry/expired-uploads.js'
import type { UploadHooks } from './core/hooks.js'
import { UploadService } from './core/service.js'
import type { Locker } from './lock/locker.js'
import { MemoryLocker } from './lock/memory-locker.js'
import { logLifecycle } from './observe/lifecycle-log.js'
import { createLogger } from './observe/logger.js'
import { CORS_ALLOW_HEADERS, CORS_EXPOSE_HEADERS } from './protocol/http/cors-headers.js'
import { requestOrigin } from './protocol/http/origin.js'
import { uploadIdOf } from './protocol/http/upload-reference.js'
import { DraftCodec, isDraftRequest } from './protocol/ietf-draft/draft-codec.js'
import { Router } from './protocol/router.js'
import type { Codec } from './protocol/codec.js'
import { ShutdownRequested } from './model/stop-reasons.js'
import { TusCodec } from './protocol/tus-v1/tus-codec.js'
import { FileStore } from './store/file/file-store.js'
import type { Store } from './store/store.js'
import type { Exchange } from './transport/exchange.js'
import { Listener, type ListenerOptions, type TlsOptions } from './transport/listener.js'
import type { NodeExchange } from './transport/node-exchange.js'

export interface GatewayOptions {
  /** Address to listen on (default `0.0.0.0`). */
  readonly host?: string
  /** Port to listen on; 0 picks a free one (default 1080). */
  readonly port?: number
  /** URL path of the upload collection (default `/files/`). */
  readonly basePath?: string
  /** Where the default file store keeps uploads (default `./data`); ignored when `store` is given. */
  readonly uploadDir?: string
  /**
   * Whether the default file store flushes bytes to the disk before answering (default false: like tusd,
   * bytes are handed to the operating system, which keeps them through a crash of the gateway).
   */
  readonly fsync?: boolean
  readonly store?: Store
  /** The upload locks (default: a `MemoryLocker`, for this process); `FileLocker` or `RedisLocker` for several gateways. */
  readonly locker?: Locker
  /**
   * Where uploads removed because they expired are remembered, for "410 Gone" (default: in this process);
   * gateways sharing a Redis pass `RedisLocker.expiredUploads()` so that each answers alike.
   */
  readonly expiredUploads?: ExpiredUploads
  /** Blocking hooks (pre-access, pre-create, pre-finish, pre-terminate) as async callbacks; see `UploadHooks`. */
  readonly hooks?: UploadHooks
  /** Largest upload in bytes; 0 means no limit (default 0). */
  readonly maxSize?: number
  /** Trust `Forwarded` / `X-Forwarded-Host` / `X-Forwarded-Proto` for `Location` (default false). */
  readonly behindProxy?: boolean
  /** A body that sends nothing this long is stopped, its bytes kept (default 60 s). */
  readonly networkTimeoutMs?: number
  /** How long a request waits for an upload that another request holds (default 20 s). */
  readonly acquireLockTimeoutMs?: number
  /** How long `close()` lets in-flight requests save their data (default 10 s). */
  readonly shutdownTimeoutMs?: number
  /** `*` or a list of origins (default `*`). */
  readonly corsAllowOrigin?: '*' | readonly string[]
  /** Request headers browsers may send beyond the ones the protocols use (e.g. `X-CSRF-Token`). */
  readonly corsAllowHeaders?: readonly string[]
  /** An unfinished upload expires this long after its last write; 0 means never (default 0). */
  readonly expireAfterMs?: number
  /** A finished upload expires this long after its last write; 0 means never (default 0). */
  readonly expireFinishedAfterMs?: number
  /** Pause between two passes of the expiration sweeper (default: a quarter of the shortest expiry, 1 s to 60 s). */
  readonly expirationSweepIntervalMs?: number
  /** Speak the IETF draft "Resumable Uploads for HTTP" (interop versions 3 to 10) beside tus (default false). */
  readonly experimentalProtocol?: boolean
  /** Draft `min-size`: smaller uploads (or of unknown length) are not offered resumption; 0 means none (default 0). */
  readonly minSize?: number
  /** Draft `max-append-size`: most content one append may carry; 0 means no limit (default 0). */
  readonly maxAppendSize?: number
  /** Draft `min-append-size`: least content an append that does not complete may carry; 0 means none (default 0). */
  readonly minAppendSize?: number
  /** How often a draft request streaming content gets a progress 104; 0 sends none (default 1 s). */
  readonly progressIntervalMs?: number
  readonly tls?: TlsOptions
  readonly logger?: Logger
}

const DEFAULTS = {
  host: '0.0.0.0',
  port: 1080,
  basePath: '/files/',
  uploadDir: './data',
  fsync: false,
  maxSize: 0,
  networkTimeoutMs: 60_000,
  acquireLockTimeoutMs: 20_000,
  shutdownTimeoutMs: 10_000,
  expireAfterMs: 0,
  expireFinishedAfterMs: 0,
  experimentalProtocol: false,
  minSize: 0,
  maxAppendSize: 0,
  minAppendSize: 0,
  progressIntervalMs: 1000,
}

/** The connection limits the gateway serves with, whatever its options. */
export const LISTENER_LIMITS = {
  keepAliveTimeoutMs: 5_000,
  maxHeaderSize: 16 * 1024,
  // RFC 9113 §6.5.2 recommends at least 100 concurrent streams; of them, 16 may carry a body at
  // once, each with a 4 MiB window: one connection makes the gateway hold at most 64 MiB of
  // request data. Windows this large (the default is 64 KiB) keep an h2c upload close to
  // HTTP/1.1's speed; larger ones cost memory without a measurable gain (README, section http).
  maxConcurrentStreams: 100,
  maxBodyStreams: 16,
  streamWindowSize: 4 * 1024 * 1024,
  connectionWindowSize: 32 * 1024 * 1024,
  maxFrameSize: 16 * 1024,
  maxSessionMemoryMiB: 64,
} as const satisfies Partial<ListenerOptions>

/**
 * The resumable-upload gateway: one listener, the protocol router, the upload service, a store and
 * a locker. `createGateway` builds it; `listen` starts it; `close` shuts it down gracefully.
 */
export class Gateway {
  readonly logger: Logger
  /** Lifecycle events of every upload (created, progress, received, finished, interrupted, terminated, expired); `subscribe` to them. */
  readonly events: UploadEvents
  readonly #options: GatewayOptions & typeof DEFAULTS
  readonly #router: Router
  readonly #listener: Listener
  readonly #locker: Locker
  readonly #service: UploadService
  readonly #sweeper: ExpirationSweeper | undefined
  /** Start-up work in the background (pending final uploads, then the sweeper); awaited on close. */
  #starting: Promise<void> | undefined
  readonly #inFlight = new Map<NodeExchange, Promise<void>>()
  #closing: Promise<void> | undefined
  #url: string | undefined

  constructor(options: GatewayOptions & typeof DEFAULTS, store: Store) {
    this.#options = options
    this.logger = options.logger ?? createLogger({ level: 'info', format: 'json' })
    this.#locker = options.locker ?? new MemoryLocker()
    this.events = new UploadEvents((error, event) => this.logger.warn({ err: error, event: event.type }, 'an upload event subscriber failed'))
    this.events.subscribe(logLifecycle(this.logger))
    const service = new UploadService({
      store,
      locker: this.#locker,
      hooks: options.hooks,
      events: this.events,
      maxSize: options.maxSize,
      acquireLockTimeoutMs: options.acquireLockTimeoutMs,
      networkTimeoutMs: options.networkTimeoutMs,
      // Progress events feed more than the draft's 104s (which keep their own interval): they never stop.
      progressIntervalMs: options.progressIntervalMs > 0 ? options.progressIntervalMs : 1000,
      expiration: { unfinishedAfterMs: options.expireAfterMs, finishedAfterMs: options.expireFinishedAfterMs },
      expiredUploads: options.expiredUploads,
      onBackgroundError: (error, task) => this.logger.warn({ err: error, task }, 'background task failed'),
    })
    this.#service = service
    this.#sweeper = service.features.expiration === undefined ? undefined : this.#expirationSweeper(service)
    const basePath = options.basePath
    const originOf = (exchange: Exchange): string | undefined => requestOrigin(exchange, options.behindProxy === true)
    // Both protocols name an upload by the same URL.
    const uploadUrl = (exchange: Exchange, id: string): string => `${originOf(exchange) ?? ''}${basePath}${id}`
    const isValidId = (id: string): boolean => service.isValidId(id)
    const tus = new TusCodec(service, {
      uploadUrl,
      uploadIdOf: (exchange, url) => uploadIdOf(url, exchange, originOf(exchange), basePath, isValidId),
      // Without the draft, its requests meet tus rules (412) as with tusd, but are told why.
      missingVersionHint: options.experimentalProtocol
        ? undefined
        : (exchange) => (isDraftRequest(exchange) ? 'IETF draft requests (Upload-Draft-Interop-Version) need the gateway started with --experimental-protocol' : undefined),
    })
    const draft = options.experimentalProtocol
      ? new DraftCodec(service, {
          uploadUrl,
          limits: {
            maxSize: service.features.maxSize,
            minSize: options.minSize,
            maxAppendSize: options.maxAppendSize,
            minAppendSize: options.minAppendSize,
          },
          progressIntervalMs: options.progressIntervalMs,
        })
      : undefined
    const codecs: Codec[] = draft === undefined ? [tus] : [draft, tus]
    this.#router = new Router(codecs, {
      basePath,
      isValidId,
      logger: this.logger,
      cors: { allowOrigin: options.corsAllowOrigin ?? '*', allowHeaders: [...CORS_ALLOW_HEADERS, ...(options.corsAllowHeaders ?? [])], exposeHeaders: CORS_EXPOSE_HEADERS },
    })
    this.#listener = new Listener((exchange) => this.#handle(exchange), {
      host: options.host,
      port: options.port,
      tls: options.tls,
      // A client that sends nothing for --network-timeout is gone, in its request head as in its body;
      // with the body's timeout off, a head still gets 60 s.
      headersTimeoutMs: options.networkTimeoutMs > 0 ? options.networkTimeoutMs : 60_000,
      ...LISTENER_LIMITS,
    })
  }

  /**
   * Serves TLS connections made from now on with a new certificate and key (the CLI does this on
   * SIGHUP); open connections keep theirs. Throws when the gateway serves no TLS or the key does not
   * match the certificate, and the old pair stays.
   */
  setTlsCredentials(tls: TlsOptions): void {
    this.#listener.setTlsCredentials(tls)
  }

  /** The upload collection's URL once listening (with the real port). */
  get url(): string {
    if (this.#url === undefined) throw new Error('the gateway is not listening')
    return this.#url
  }

  /**
   * Starts listening; resolves with the upload collection's URL. In the background, final uploads left
   * pending by an earlier run are picked up, then the expiration sweeper starts (with a pass at once).
   */
  async listen(): Promise<string> {
    const address = await this.#listener.listen()
    this.#starting = this.#service
      .start()
      .catch((error: unknown) => this.logger.warn({ err: error }, 'could not look for pending final uploads'))
      .finally(() => this.#sweeper?.start())
    const host = ['0.0.0.0', '::'].includes(address.address) ? 'localhost' : address.address
    const scheme = this.#options.tls === undefined ? 'http' : 'https'
    const hostPart = host.includes(':') ? `[${host}]` : host
    this.#url = `${scheme}://${hostPart}:${address.port}${this.#options.basePath}`
    return this.#url
  }

  /**
   * Graceful shutdown: stops accepting, asks in-flight uploads to save what they have (they answer
   * 503), waits for them up to the shutdown timeout, then closes every connection.
   */
  close(): Promise<void> {
    this.#closing ??= this.#shutdown()
    return this.#closing
  }

  async #shutdown(): Promise<void> {
    this.#listener.stopAccepting()
    for (const exchange of this.#inFlight.keys()) exchange.abort(new ShutdownRequested())
    this.#listener.closeIdle()
    let timer: NodeJS.Timeout | undefined
    const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, this.#options.shutdownTimeoutMs)))
    await Promise.race([Promise.allSettled(this.#inFlight.values()), timeout])
    clearTimeout(timer)
    this.#listener.closeIdle()
    this.#listener.destroyAll()
    await this.#sweeper?.stop()
    await this.#service.close()
    await this.#starting
    await this.#locker.close()
    this.logger.flush()
  }

  #expirationSweeper(service: UploadService): ExpirationSweeper {
    const { expireAfterMs, expireFinishedAfterMs, expirationSweepIntervalMs } = this.#options
    const shortest = Math.min(...[expireAfterMs, expireFinishedAfterMs].filter((ms) => ms > 0))
    return new ExpirationSweeper(service, {
      intervalMs: expirationSweepIntervalMs ?? Math.min(60_000, Math.max(1_000, Math.floor(shortest / 4))),
      maxRemovalsPerSecond: 100,
      lockWaitMs: 1_000,
      onReport: (report) => {
        // Metrics-friendly: one line per pass that removed something, with what it freed.
        const level = report.removed > 0 || report.skipped > 0 ? 'info' : 'debug'
        this.logger[level]({ event: 'expiration-sweep', ...report }, 'expired uploads swept')
      },
      onError: (error, id) => this.logger.warn({ err: error, uploadId: id }, 'expiration sweep failed'),
    })
  }

  #handle(exchange: NodeExchange): Promise<void> {
    const handled = this.#serve(exchange).finally(() => this.#inFlight.delete(exchange))
    this.#inFlight.set(exchange, handled)
    return handled
  }

  async #serve(exchange: NodeExchange): Promise<void> {
    const started = performance.now()
    const requestId = requestIdOf(exchange)
    try {
      const outcome = this.#closing === undefined ? await this.#router.route(exchange, requestId) : await this.#router.refuse(exchange)
      this.logger.info(
        {
          requestId,
          method: outcome.method,
          path: exchange.path,
          status: outcome.status,
          uploadId: outcome.uploadId,
          bytes: exchange.bytesReceived,
          durationMs: Math.round(performance.now() - started),
          httpVersion: exchange.httpVersion,
          protocol: outcome.protocol,
          error: outcome.error,
        },
        'request',
      )
    } catch (error) {
      // The router answers every error itself; reaching here means the response could not be sent.
      this.logger.warn({ requestId, err: error, path: exchange.path }, 'response failed')
    }
  }
}

/** Builds a gateway with the defaults filled in and the store opened. */
export async function createGateway(options: GatewayOptions = {}): Promise<Gateway> {
  const merged = { ...DEFAULTS, ...withoutUndefined(options) }
  merged.basePath = normalizeBasePath(merged.basePath)
  const store = options.store ?? (await FileStore.open({ directory: merged.uploadDir, fsync: merged.fsync }))
  return new Gateway(merged, store)
}

/** `/files` and `files/` both mean `/files/`. */
function normalizeBasePath(path: string): string {
  const trimmed = path.replace(/^\/+|\/+$/g, '')
  return trimmed === '' ? '/' : `/${trimmed}/`
}

const REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/

function requestIdOf(exchange: NodeExchange): string {
  const given = exchange.headers['x-request-id']
  return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomBytes(6).toString('hex')
}

function withoutUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>
}
