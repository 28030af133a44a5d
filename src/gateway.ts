import { subscribe, unsubscribe } from 'node:diagnostics_channel'
import { setImmediate } from 'node:timers/promises'
import type { Logger } from 'pino'
import { UploadEvents } from './core/events.js'
import { ExpirationSweeper } from './core/expiry/expiration-sweeper.js'
import type { ExpiredUploads } from './core/expiry/expired-uploads.js'
import { LeftoverSweeper } from './core/leftover-sweeper.js'
import type { UploadHooks } from './core/hooks.js'
import { UploadService } from './core/service.js'
import { composeHooks } from './hooks/compose-hooks.js'
import { TusdHooks, type TusdHooksConfig } from './hooks/tusd-hooks.js'
import type { Locker } from './lock/locker.js'
import { MemoryLocker } from './lock/memory-locker.js'
import { logLifecycle } from './observe/lifecycle-log.js'
import { createLogger } from './observe/logger.js'
import { GatewayMetrics } from './observe/metrics.js'
import { metricsAnswer, MetricsServer } from './observe/metrics-server.js'
import { CORS_ALLOW_HEADERS, CORS_EXPOSE_HEADERS } from './protocol/http/cors-headers.js'
import { requestOrigin } from './protocol/http/origin.js'
import { uploadIdOf } from './protocol/http/upload-reference.js'
import { effectiveMethod } from './protocol/method-override.js'
import { DraftCodec, isDraftRequest } from './protocol/ietf-draft/draft-codec.js'
import { Router, type RouteOutcome } from './protocol/router.js'
import { DemoPage } from './demo/demo-page.js'
import type { Upstream } from './upstream/upstream.js'
import type { Codec } from './protocol/codec.js'
import { randomHex } from './model/random-hex.js'
import { ClientGone, ShutdownRequested } from './model/stop-reasons.js'
import { waitAtMost } from './model/wait-at-most.js'
import { TusCodec } from './protocol/tus-v1/tus-codec.js'
import { FileStore } from './store/file/file-store.js'
import type { Store } from './store/store.js'
import { resolveConnectionLimits } from './transport/connection-limits.js'
import type { Exchange } from './transport/exchange.js'
import { RAPID_RESET_CHANNEL, type RapidResetReport } from './transport/http2-reset-guard.js'
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
  /**
   * tusd's hooks, speaking tusd v2's JSON through a backend (`HttpHookBackend`, `FileHookBackend`, or your
   * own): the CLI's `--hooks-*` flags. They run after `hooks`; see `TusdHooksConfig`.
   */
  readonly tusdHooks?: TusdHooksConfig
  /** Collect Prometheus metrics and serve them (default true, as tusd's `-expose-metrics`). */
  readonly exposeMetrics?: boolean
  /** Where the gateway's port serves the metrics (default `/metrics`): GET and HEAD of exactly this path; other methods get 405. */
  readonly metricsPath?: string
  /** Serve the metrics on a port of their own instead of the gateway's (port 0 picks a free one: `gateway.metricsUrl`). */
  readonly metricsListen?: { readonly host: string; readonly port: number }
  /** Largest upload in bytes; 0 means no limit (default 0). */
  readonly maxSize?: number
  /** The most partial uploads a final upload (tus concatenation) may name, repeats counted (default 128). */
  readonly maxPartialUploads?: number
  /** The largest final upload of a concatenation when `maxSize` is 0 (default 64 GiB). */
  readonly maxFinalSize?: number
  /** Trust `Forwarded` / `X-Forwarded-Host` / `X-Forwarded-Proto` for `Location` (default false). */
  readonly behindProxy?: boolean
  /**
   * A body that sends nothing this long is stopped, its bytes kept; a streamed answer the client takes nothing of
   * this long is cut short, its file released (default 60 s; 0: neither).
   */
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
  /**
   * Most connections open at once; 0 means no limit. More are answered at once and closed: HTTP/1.1
   * `503` with `Retry-After`, h2c `GOAWAY`, TLS a plain close. Default: half the process's open-file
   * limit less a reserve of 32, at least 16 and at most 10,000 (496 with 1024 descriptors).
   */
  readonly maxConnections?: number
  /**
   * Most connections open at once from one client address; 0 means no limit. Default: half of
   * `maxConnections` (no single client can take them all), or no limit with `behindProxy`.
   */
  readonly maxConnectionsPerIp?: number
  /**
   * A request body averaging less than this many bytes per second over `minBodyRateWindowMs` (only
   * the time spent waiting for the client counts) is stopped like one that stalls, its bytes kept;
   * 0 means no minimum (default 0).
   */
  readonly minBodyRate?: number
  /** The window `minBodyRate` is averaged over, and the grace period before a body is judged (default 20 s). */
  readonly minBodyRateWindowMs?: number
  readonly tls?: TlsOptions
  readonly logger?: Logger
  /**
   * Upstream mode: the URL of the application behind the gateway (e.g. `http://127.0.0.1:3000`). Creations of
   * resumable uploads to any path outside `basePath` (the draft's, or tus `POST`s) make uploads delivered to the
   * application as the creation request once complete; every other request to such a path is passed on
   * unchanged. Turns the draft on (`experimentalProtocol`). Off by default.
   */
  readonly upstream?: string | URL
  /** Upstream mode: how long the application may stay silent before a delivery or a passed-on request fails with 504 (default 60 s). */
  readonly upstreamTimeoutMs?: number
  /** Upstream mode: tries after the first when the application is unreachable or answers a delivery with a 5xx (default 2). */
  readonly upstreamRetries?: number
  /** Upstream mode: pause before the first retry of a delivery, doubling after (default 500 ms). */
  readonly upstreamRetryDelayMs?: number
  /** Upstream mode: deliveries under way at once; more wait up to the timeout, then fail with 503 (default 8). */
  readonly upstreamMaxDeliveries?: number
  /** Serve the demo page (Uppy and tus-js-client) at this path, e.g. `/demo/`; off by default. */
  readonly demoPath?: string
}

const DEFAULTS = {
  host: '0.0.0.0',
  port: 1080,
  basePath: '/files/',
  uploadDir: './data',
  fsync: false,
  maxSize: 0,
  maxPartialUploads: 128,
  maxFinalSize: 64 * 1024 ** 3,
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
  upstreamTimeoutMs: 60_000,
  upstreamRetries: 2,
  upstreamRetryDelayMs: 500,
  upstreamMaxDeliveries: 8,
  exposeMetrics: true,
  metricsPath: '/metrics',
  minBodyRate: 0,
  minBodyRateWindowMs: 20_000,
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
  // An HTTP/1.1 answer sent before its body was read (lingering close): nginx's lingering_time (30 s)
  // and lingering_timeout (5 s). 64 MiB is more than a proxy or client that reads while it sends can
  // push before it sees the answer, and bounds the bandwidth one early answer can make the gateway
  // spend; the bytes are discarded as they come. A rest of at most 64 KiB is read and the connection kept.
  unreadBody: { lingerTimeMs: 30_000, lingerIdleMs: 5_000, lingerMaxBytes: 64 * 1024 * 1024, drainMaxBytes: 64 * 1024 },
} as const satisfies Partial<ListenerOptions>

/**
 * The resumable-upload gateway: one listener, the protocol router, the upload service, a store and
 * a locker. `createGateway` builds it; `listen` starts it; `close` shuts it down gracefully.
 */
export class Gateway {
  readonly logger: Logger
  /** Lifecycle events of every upload (created, progress, received, finished, interrupted, terminated, expired); `subscribe` to them. */
  readonly events: UploadEvents
  /** The gateway's Prometheus metrics (`registry` to add them to an application's), unless `exposeMetrics` is false. */
  readonly metrics: GatewayMetrics | undefined
  readonly #options: GatewayOptions & typeof DEFAULTS
  readonly #router: Router
  readonly #listener: Listener
  readonly #locker: Locker
  readonly #service: UploadService
  readonly #sweeper: ExpirationSweeper | LeftoverSweeper
  readonly #upstream: Upstream | undefined
  readonly #demo: DemoPage | undefined
  readonly #tusdHooks: TusdHooks | undefined
  readonly #metricsServer: MetricsServer | undefined
  #metricsUrl: string | undefined
  /** Logs the HTTP/2 connections the listener closed for rapid reset (see `guardResets`). */
  #rapidResets: ((message: unknown) => void) | undefined
  /** Start-up work in the background (pending final uploads, then the sweeper); awaited on close. */
  #starting: Promise<void> | undefined
  readonly #inFlight = new Map<NodeExchange, Promise<void>>()
  #closing: Promise<void> | undefined
  #url: string | undefined

  /** `UpstreamClass`: the upstream module, loaded by `createGateway` only for upstream mode (undici costs ~20 MiB). */
  constructor(options: GatewayOptions & typeof DEFAULTS, store: Store, UpstreamClass?: typeof Upstream) {
    this.#options = options
    this.logger = options.logger ?? createLogger({ level: 'info', format: 'json' })
    this.events = new UploadEvents((error, event) => this.logger.warn({ err: error, event: event.type }, 'an upload event subscriber failed'))
    this.events.subscribe(logLifecycle(this.logger))
    this.metrics = options.exposeMetrics ? new GatewayMetrics() : undefined
    const metrics = this.metrics
    if (metrics !== undefined) this.events.subscribe(metrics.lifecycle)
    const locker = options.locker ?? new MemoryLocker()
    this.#locker = metrics?.measureLocker(locker) ?? locker
    this.#tusdHooks = options.tusdHooks === undefined ? undefined : this.#tusdHooksOf(options.tusdHooks)
    if (this.#tusdHooks !== undefined) this.events.subscribe(this.#tusdHooks.listener)
    const basePath = options.basePath
    this.#demo = options.demoPath === undefined ? undefined : new DemoPage(options.demoPath, basePath, this.logger)
    const demo = this.#demo
    let draftCodec: DraftCodec | undefined
    const metricsHere = metrics !== undefined && options.metricsListen === undefined
    this.#upstream =
      options.upstream === undefined || UpstreamClass === undefined
        ? undefined
        : new UpstreamClass(
            {
              url: new URL(options.upstream),
              timeoutMs: options.upstreamTimeoutMs,
              bodyIdleTimeoutMs: options.networkTimeoutMs,
              retries: options.upstreamRetries,
              retryDelayMs: options.upstreamRetryDelayMs,
              maxDeliveries: options.upstreamMaxDeliveries,
              trustForwarded: options.behindProxy === true,
              logger: this.logger,
            },
            basePath,
            // The demo page and the metrics (on this port) are the gateway's, however a request spells them.
            (path) => demo?.owns(path) === true || (metricsHere && path === options.metricsPath),
            // The draft's limits, advertised on the application's resources too ("per upstream").
            (exchange) => draftCodec?.discoveryHeaders(exchange) ?? {},
          )
    const upstream = this.#upstream
    const upstreamPath = upstream === undefined ? undefined : (exchange: Exchange): boolean => upstream.isApplicationPath(exchange)
    const speaksDraft = options.experimentalProtocol || upstream !== undefined
    const service = new UploadService({
      store: metrics?.measureStore(store) ?? store,
      locker: this.#locker,
      hooks: composeHooks(options.hooks, this.#tusdHooks?.hooks),
      events: this.events,
      delivery: upstream?.delivery,
      maxSize: options.maxSize,
      maxPartials: options.maxPartialUploads,
      maxFinalSize: options.maxFinalSize,
      acquireLockTimeoutMs: options.acquireLockTimeoutMs,
      networkTimeoutMs: options.networkTimeoutMs,
      // Progress events feed more than the draft's 104s (which keep their own interval): they never stop,
      // and come as often as post-receive hooks want them.
      progressIntervalMs: progressIntervalOf(options),
      expiration: { unfinishedAfterMs: options.expireAfterMs, finishedAfterMs: options.expireFinishedAfterMs },
      expiredUploads: options.expiredUploads,
      onBackgroundError: (error, task) => this.logger.warn({ err: error, task }, 'background task failed'),
    })
    this.#service = service
    // The expiration sweeper removes the store's crash leftovers on each pass; without expiration, a sweeper of its own does.
    this.#sweeper = service.features.expiration === undefined ? this.#leftoverSweeper(service) : this.#expirationSweeper(service)
    const originOf = (exchange: Exchange): string | undefined => requestOrigin(exchange, options.behindProxy === true)
    // Both protocols name an upload by the same URL.
    const uploadUrl = (exchange: Exchange, id: string): string => `${originOf(exchange) ?? ''}${basePath}${id}`
    const isValidId = (id: string): boolean => service.isValidId(id)
    const tus = new TusCodec(service, {
      uploadUrl,
      uploadIdOf: (exchange, url) => uploadIdOf(url, exchange, basePath, isValidId),
      // Without the draft, its requests meet tus rules (412) as with tusd, but are told why.
      upstreamPath,
      missingVersionHint: speaksDraft
        ? undefined
        : (exchange) => (isDraftRequest(exchange) ? 'IETF draft requests (Upload-Draft-Interop-Version) need the gateway started with --experimental-protocol' : undefined),
    })
    const draft = speaksDraft
      ? new DraftCodec(service, {
          upstreamPath,
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
    draftCodec = draft
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
      ...resolveConnectionLimits(options),
      minBodyRate: { bytesPerSecond: options.minBodyRate, windowMs: options.minBodyRateWindowMs },
      // Silence both ways: a response the client takes nothing of is stopped as a body that sends nothing.
      stalledResponseMs: options.networkTimeoutMs,
    })
    const listener = this.#listener
    metrics?.watchListener(() => listener.stats())
    if (metrics !== undefined && options.metricsListen === undefined && `${options.metricsPath}/`.startsWith(basePath)) {
      this.logger.warn({ metricsPath: options.metricsPath, basePath }, 'the metrics path is inside the base path: every request to it is for the metrics, never an upload')
    }
    if (metrics !== undefined && options.metricsListen === undefined && upstream !== undefined) {
      // Every path outside the base path is the application's, but this one: its requests never reach the application.
      this.logger.warn(
        { metricsPath: options.metricsPath },
        `upstream mode: ${options.metricsPath} is the gateway's metrics, and no request to it reaches the application; move them with --metrics-path or --metrics-listen, or turn them off with --expose-metrics false`,
      )
    }
    this.#metricsServer =
      metrics === undefined || options.metricsListen === undefined
        ? undefined
        : new MetricsServer(metrics, options.metricsPath, (error) => this.logger.warn({ err: error }, 'metrics could not be collected'))
  }

  /** tusd's hooks on this gateway: StopUpload goes through the locker, so it reaches the upload on any gateway sharing it. */
  #tusdHooksOf(config: TusdHooksConfig): TusdHooks {
    const hooks = new TusdHooks({
      ...config,
      logger: this.logger,
      ...(this.metrics === undefined ? {} : { observer: this.metrics.hooks }),
      isValidId: (id) => this.#service.isValidId(id),
      // tusd terminates a stopped upload when its store can (and answers ERR_UPLOAD_STOPPED either way).
      stopUpload: (id, answer) =>
        this.#service.requestStop(id, { terminate: this.#service.features.capabilities.terminate, ...(answer === undefined ? {} : { answer }) }),
    })
    this.logger.info({ hooks: config.backend.description, enabled: config.enabled }, 'hooks enabled')
    return hooks
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

  /** The URL of the metrics once listening: on the metrics port with `metricsListen`, else on the gateway's. */
  get metricsUrl(): string | undefined {
    if (this.metrics === undefined) return undefined
    return this.#metricsUrl ?? new URL(this.#options.metricsPath, this.url).href
  }

  /**
   * Starts listening; resolves with the upload collection's URL. In the background, final uploads left
   * pending by an earlier run are picked up, then the expiration sweeper starts (with a pass at once).
   */
  async listen(): Promise<string> {
    const address = await this.#listener.listen()
    const { metricsListen } = this.#options
    if (this.#metricsServer !== undefined && metricsListen !== undefined) {
      const bound = await this.#metricsServer.listen(metricsListen.host, metricsListen.port)
      this.#metricsUrl = `http://${urlHost(bound.address)}:${bound.port}${this.#options.metricsPath}`
    }
    this.#rapidResets = (message) => {
      const report = message as RapidResetReport
      // The channel is the process's: only this gateway's connections are its to report.
      if (report.localPort !== address.port) return
      this.logger.warn({ event: 'http2-rapid-reset', ...report }, 'HTTP/2 connection closed: its client reset streams before their answer faster than a client would (rapid reset)')
    }
    subscribe(RAPID_RESET_CHANNEL, this.#rapidResets)
    this.#starting = this.#service
      .start()
      .catch((error: unknown) => this.logger.warn({ err: error }, 'could not look for pending final uploads'))
      .finally(() => this.#sweeper.start())
    const scheme = this.#options.tls === undefined ? 'http' : 'https'
    this.#url = `${scheme}://${urlHost(address.address)}:${address.port}${this.#options.basePath}`
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
    // One deadline for all: in-flight requests first, then the post-hooks still queued.
    const deadline = performance.now() + this.#options.shutdownTimeoutMs
    this.#listener.stopAccepting()
    // Requests passed on to the application keep going, as deliveries do: they hold no bytes to save, and stopping
    // them would lose their answer. Past the timeout, `upstream.close()` stops them (503 when nothing was answered).
    for (const exchange of this.#inFlight.keys()) {
      if (this.#upstream?.passesOn(exchange) !== true) exchange.abort(new ShutdownRequested())
    }
    this.#listener.closeIdle()
    await waitAtMost(Promise.allSettled(this.#inFlight.values()), this.#options.shutdownTimeoutMs)
    // Deliveries and requests passed on still under way past the shutdown timeout stop; their uploads wait for the
    // next request, and requests not answered yet get 503 before the connections close.
    await this.#upstream?.close()
    this.#listener.closeIdle()
    await this.#listener.endSessions(deadline - performance.now())
    this.#listener.destroyAll()
    await this.#sweeper.stop()
    await this.#service.close()
    await this.#starting
    await this.#tusdHooks?.close(deadline)
    await this.#locker.close()
    await this.#metricsServer?.close()
    if (this.#rapidResets !== undefined) unsubscribe(RAPID_RESET_CHANNEL, this.#rapidResets)
    this.logger.flush()
  }

  #leftoverSweeper(service: UploadService): LeftoverSweeper {
    return new LeftoverSweeper(service, {
      intervalMs: 10 * 60_000,
      onSwept: (freedBytes) => {
        if (freedBytes > 0) this.logger.info({ event: 'leftovers-swept', freedBytes }, 'crash leftovers of the store removed')
      },
      onError: (error) => this.logger.warn({ err: error }, 'sweeping the store\'s crash leftovers failed'),
    })
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
        const level = report.removed > 0 || report.skipped > 0 || report.leftoverBytes > 0 ? 'info' : 'debug'
        this.logger[level]({ event: 'expiration-sweep', ...report }, 'expired uploads swept')
      },
      onError: (error, id) => this.logger.warn({ err: error, uploadId: id }, 'expiration sweep failed'),
    })
  }

  /** The demo page and the application's requests (upstream mode) come first; the upload protocols get the rest. */
  async #dispatch(exchange: NodeExchange, requestId: string): Promise<RouteOutcome> {
    if (this.#closing !== undefined) return this.#router.refuse(exchange)
    if (this.#demo?.owns(exchange.path) === true) return { ...(await this.#demo.serve(exchange)), method: exchange.method, protocol: 'demo' }
    if (this.#upstream?.claims(exchange) === true) return { ...(await this.#upstream.serve(exchange)), method: exchange.method, protocol: 'proxy' }
    return this.#router.route(exchange, requestId)
  }

  #handle(exchange: NodeExchange): Promise<void> {
    const handled = this.#serve(exchange).finally(() => this.#inFlight.delete(exchange))
    this.#inFlight.set(exchange, handled)
    return handled
  }

  async #serve(exchange: NodeExchange): Promise<void> {
    const started = performance.now()
    const { metrics } = this
    if (metrics !== undefined && this.#metricsServer === undefined && exchange.path === this.#options.metricsPath) {
      return this.#scrape(exchange, metrics)
    }
    // Over HTTP/2, one turn of the event loop first: a stream that the client reset in the packet that opened
    // it (rapid reset, CVE-2023-44487) is known to be gone by then, and costs nothing more: no routing, no lock,
    // no log line. Such a request cost more than node's own work on the stream (issue 10, item 1). HTTP/1.1 has
    // no such reset (one request at a time per connection), and its requests skip the turn.
    if (exchange.httpVersion === '2') {
      await setImmediate()
      if (exchange.signal.reason instanceof ClientGone) return
    }
    const requestId = requestIdOf(exchange)
    metrics?.requestStarted(effectiveMethod(exchange))
    try {
      const outcome = await this.#dispatch(exchange, requestId)
      metrics?.requestServed({ ...outcome, durationMs: performance.now() - started })
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
      // The router and the demo page answer every error themselves; reaching here means a bug, or a response
      // that could not be sent. The request still gets an end: a bare 500, or its response cut short.
      this.logger.warn({ requestId, err: error, path: exchange.path }, 'response failed')
      metrics?.requestServed({ method: effectiveMethod(exchange), status: 500, protocol: 'unknown', error: 'INTERNAL', durationMs: performance.now() - started })
      await exchange.fail()
    }
  }

  /** A request to the metrics path on the gateway's port: answered before any protocol sees it, whatever its method. */
  async #scrape(exchange: NodeExchange, metrics: GatewayMetrics): Promise<void> {
    try {
      const answer = await metricsAnswer(metrics, exchange.method)
      await exchange.respond(answer.status, answer.headers, answer.body)
    } catch (error) {
      this.logger.warn({ err: error, path: exchange.path }, 'metrics could not be served')
      if (!exchange.responded) await exchange.respond(500, { 'content-length': '0' }).catch(() => undefined)
    }
  }
}

/** The smallest progress interval anyone wants: the draft's 104s and post-receive hooks (1 s when nobody says). */
function progressIntervalOf(options: GatewayOptions & typeof DEFAULTS): number {
  const hooks = options.tusdHooks
  const wanted = [options.progressIntervalMs, hooks === undefined ? 0 : (hooks.progressIntervalMs ?? 1000)].filter((ms) => ms > 0)
  return wanted.length === 0 ? 1000 : Math.min(...wanted)
}

/** A bound address as the host of a URL: `localhost` for a wildcard, IPv6 in brackets. */
function urlHost(address: string): string {
  if (address === '0.0.0.0' || address === '::') return 'localhost'
  return address.includes(':') ? `[${address}]` : address
}

/** Builds a gateway with the defaults filled in and the store opened. */
export async function createGateway(options: GatewayOptions = {}): Promise<Gateway> {
  const merged = { ...DEFAULTS, ...withoutUndefined(options) }
  merged.basePath = normalizeBasePath(merged.basePath)
  if (merged.demoPath !== undefined) merged.demoPath = normalizeBasePath(merged.demoPath)
  const store = options.store ?? (await FileStore.open({ directory: merged.uploadDir, fsync: merged.fsync }))
  const UpstreamClass = merged.upstream === undefined ? undefined : (await import('./upstream/upstream.js')).Upstream
  return new Gateway(merged, store, UpstreamClass)
}

/** `/files` and `files/` both mean `/files/`. */
function normalizeBasePath(path: string): string {
  const trimmed = path.replace(/^\/+|\/+$/g, '')
  return trimmed === '' ? '/' : `/${trimmed}/`
}

const REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/

function requestIdOf(exchange: NodeExchange): string {
  const given = exchange.headers['x-request-id']
  return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomHex(6)
}

function withoutUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>
}
