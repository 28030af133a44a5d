import { Counter, Gauge, Histogram, Registry, Summary } from './prom-classes.js'
import type { LifecycleEvent, LifecycleListener } from '../core/events.js'
import type { Locker } from '../lock/locker.js'
import type { Store, StoreInstruments } from '../store/store.js'
import type { ListenerStats } from '../transport/listener.js'
import { measuredLocker } from './measured-locker.js'
import { measuredStore } from './measured-store.js'
import { processMetrics } from './process-metrics.js'
import { tusdErrorCode } from './tusd-error-codes.js'

/** What the gateway tells metrics of a request it served. */
export interface ServedRequest {
  /** The effective method (after X-HTTP-Method-Override). */
  readonly method: string
  readonly status: number
  /** `tus-v1`, `ietf-draft`. */
  readonly protocol: string
  /** The draft's interop version (`unknown` for one it does not know); undefined for tus. */
  readonly version?: string
  /** What the router names a failure (a core error code, `HEADER`, ...), undefined for a success. */
  readonly error?: string
  readonly durationMs: number
}

// tusd counts these methods only (tusd:pkg/handler/metrics.go), each from 0.
const TUSD_METHODS = ['GET', 'HEAD', 'POST', 'PATCH', 'DELETE', 'OPTIONS']
// tusd's seven hook types, each from 0 (tusd's SetupHookMetrics), and ours.
const HOOK_TYPES = ['pre-create', 'post-create', 'post-receive', 'pre-terminate', 'post-terminate', 'post-finish', 'pre-finish', 'pre-access']

/**
 * The gateway's Prometheus metrics: tusd's names with tusd's meanings (so dashboards built for tusd work
 * unchanged), and ours under `resumable_gateway_`. Each gateway has a registry of its own (`registry`);
 * Node's process metrics are shared by every gateway of the process. Every method returns at once.
 */
export class GatewayMetrics {
  readonly registry = new Registry()
  #listener: (() => ListenerStats) | undefined

  readonly #requests = this.#counter('tusd_requests_total', 'Total number of requests served by tusd per method.', ['method'])
  readonly #errors = this.#counter('tusd_errors_total', 'Total number of errors per status.', ['status', 'code'])
  readonly #bytesReceived = this.#counter('tusd_bytes_received', 'Number of bytes received for uploads.')
  readonly #uploadsCreated = this.#counter('tusd_uploads_created', 'Number of created uploads.')
  readonly #uploadsFinished = this.#counter('tusd_uploads_finished', 'Number of finished uploads.')
  readonly #uploadsTerminated = this.#counter('tusd_uploads_terminated', 'Number of terminated uploads.')
  readonly #hookInvocations = this.#counter('tusd_hook_invocations_total', 'Total number of invocations per hook type.', ['hooktype'])
  readonly #hookErrors = this.#counter('tusd_hook_errors_total', 'Total number of execution errors per hook type.', ['hooktype'])

  readonly #duration = this.#histogram(
    'resumable_gateway_request_duration_seconds',
    'Time from a request head to the end of its answer, by effective method, protocol and (for the IETF draft) interop version.',
    ['method', 'protocol', 'interop_version'],
    [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600],
  )
  readonly #requestsInFlight = this.#gauge('resumable_gateway_requests_in_flight', 'Requests being served now.')
  readonly #uploadsInFlight = this.#gauge('resumable_gateway_uploads_in_flight', 'Uploads receiving bytes now (appends streaming into the store).')
  readonly #uploadsExpired = this.#counter('resumable_gateway_uploads_expired_total', 'Uploads removed because they expired.')
  readonly #lockWait = this.#histogram(
    'resumable_gateway_lock_wait_seconds',
    'Time a request waited for an upload lock, by outcome (acquired, failed: timed out, refused or given up).',
    ['outcome'],
    [0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60],
  )
  readonly #lockAsked = this.#counter(
    'resumable_gateway_lock_release_requests_total',
    'Lock holders asked to let go, by reason (release: another request waits; stop: a stop request; lost: the lock was lost).',
    ['reason'],
  )
  readonly #storeOperations = this.#histogram(
    'resumable_gateway_store_operation_duration_seconds',
    'Duration of store operations (create, open, append, update, finish, rollBack, terminate, read, concatenate, sweepLeftovers), by outcome.',
    ['operation', 'outcome'],
    [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900],
  )
  readonly #hookDuration = this.#histogram(
    'resumable_gateway_hook_duration_seconds',
    'Duration of hook calls (all attempts of one call), by hook type and outcome.',
    ['hooktype', 'outcome'],
    [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 15, 30, 60],
  )
  readonly #postHooksQueued = this.#gauge('resumable_gateway_post_hooks_queued', 'Post-hooks waiting to be delivered or being delivered.')
  readonly #postHooksDropped = this.#counter(
    'resumable_gateway_post_hooks_dropped_total',
    'Post-hooks not delivered, by hook type and reason (queue-full, failed after every retry, shutdown, superseded by a newer post-receive).',
    ['hooktype', 'reason'],
  )

  constructor() {
    for (const method of TUSD_METHODS) this.#requests.inc({ method }, 0)
    for (const hooktype of HOOK_TYPES) {
      this.#hookInvocations.inc({ hooktype }, 0)
      this.#hookErrors.inc({ hooktype }, 0)
    }
    const listenerGauge = (name: string, help: string, read: (stats: ListenerStats) => number): void => {
      const metrics = this
      this.#gauge(name, help, function collect(this: Gauge) {
        const stats = metrics.#listener?.()
        this.set(stats === undefined ? 0 : read(stats))
      })
    }
    listenerGauge('tusd_connections_open', 'Current number of open connections.', (stats) => stats.connections)
    listenerGauge('resumable_gateway_http2_sessions', 'HTTP/2 sessions (connections) open now.', (stats) => stats.http2Sessions)
    listenerGauge('resumable_gateway_http2_streams', 'HTTP/2 streams open now, over all sessions.', (stats) => stats.http2Streams)
  }

  /** Where the connection gauges read from (the gateway's listener), read at each scrape. */
  watchListener(stats: () => ListenerStats): void {
    this.#listener = stats
  }

  /** A request arrived (tusd counts it then, by its effective method). */
  requestStarted(method: string): void {
    if (TUSD_METHODS.includes(method)) this.#requests.inc({ method })
    this.#requestsInFlight.inc()
  }

  /** A request was answered; an error answer is counted as tusd counts it, by status and tusd's code. */
  requestServed(request: ServedRequest): void {
    this.#requestsInFlight.dec()
    const labels = { method: request.method, protocol: request.protocol, interop_version: request.version ?? '' }
    // Label values come from the request: only known methods, so that a client cannot grow the series.
    if (!TUSD_METHODS.includes(labels.method)) labels.method = 'other'
    this.#duration.observe(labels, request.durationMs / 1000)
    if (request.status >= 400) {
      this.#errors.inc({ status: String(request.status), code: tusdErrorCode(request.error, request.status, request.method) })
    }
  }

  /** Counts uploads and bytes from the lifecycle events (subscribe it to `gateway.events`). */
  readonly lifecycle: LifecycleListener = (event: LifecycleEvent): void => {
    switch (event.type) {
      case 'created':
        this.#uploadsCreated.inc()
        break
      case 'received':
      case 'interrupted':
        // tusd counts every byte written, also of a request that stopped early.
        this.#bytesReceived.inc(event.bytes)
        break
      case 'finished':
        this.#uploadsFinished.inc()
        break
      case 'terminated':
        this.#uploadsTerminated.inc()
        break
      case 'expired':
        this.#uploadsExpired.inc()
        break
      case 'progress':
        break
    }
  }

  /** For hooks/ (`HookObserver`): every call of a hook, and the post-hook queue. */
  readonly hooks = {
    invoked: (type: string, durationMs: number, failed: boolean): void => {
      this.#hookInvocations.inc({ hooktype: type })
      if (failed) this.#hookErrors.inc({ hooktype: type })
      this.#hookDuration.observe({ hooktype: type, outcome: failed ? 'failed' : 'ok' }, durationMs / 1000)
    },
    dropped: (type: string, reason: string): void => this.#postHooksDropped.inc({ hooktype: type, reason }),
    queued: (size: number): void => this.#postHooksQueued.set(size),
  }

  /** `store`, its operations timed and its appends counted; a store with series of its own (S3) reports them too. */
  measureStore(store: Store): Store {
    store.instrument?.(this.#storeInstruments())
    return measuredStore(store, {
      operation: (name, seconds, ok) => this.#storeOperations.observe({ operation: name, outcome: ok ? 'ok' : 'failed' }, seconds),
      appending: (delta) => this.#uploadsInFlight.inc(delta),
    })
  }

  /** `locker`, its waits timed and the release requests its holders get counted. */
  measureLocker(locker: Locker): Locker {
    return measuredLocker(locker, {
      waited: (seconds, outcome) => this.#lockWait.observe({ outcome }, seconds),
      asked: (reason) => this.#lockAsked.inc({ reason }),
    })
  }

  /** The Prometheus text exposition of every metric, Node's process metrics included. */
  async text(): Promise<string> {
    const [own, process] = await Promise.all([this.registry.metrics(), processMetrics().then((metrics) => metrics.metrics())])
    return `${own}${own.endsWith('\n') ? '' : '\n'}${process}`
  }

  /** The media type of `text()`. */
  get contentType(): string {
    return this.registry.contentType
  }

  /** tusd's S3 series (tusd:pkg/s3store), names, help and quantiles as tusd's; made only for a store that reports. */
  #storeInstruments(): StoreInstruments {
    // tusd's summaries: the 0.5, 0.9 and 0.99 quantiles over Prometheus's default window (10 minutes, 5 buckets).
    const summary = (name: string, help: string, labelNames: string[] = []): Summary =>
      new Summary({ name, help, labelNames, percentiles: [0.5, 0.9, 0.99], maxAgeSeconds: 600, ageBuckets: 5, registers: [this.registry] })
    const requests = summary('tusd_s3_request_duration_ms', 'Duration of requests sent to S3 in milliseconds per operation', ['operation'])
    const diskWrites = summary('tusd_s3_disk_write_duration_ms', 'Duration of chunk writes to disk in milliseconds')
    let slots: () => { readonly demand: number; readonly limit: number } = () => ({ demand: 0, limit: 0 })
    this.#gauge('tusd_s3_upload_semaphore_demand', 'Number of goroutines wanting to acquire the upload lock or having it acquired', function collect(this: Gauge) {
      this.set(slots().demand)
    })
    this.#gauge('tusd_s3_upload_semaphore_limit', 'Limit of concurrent acquisitions of upload semaphore', function collect(this: Gauge) {
      this.set(slots().limit)
    })
    return {
      request: (operation, ms) => requests.observe({ operation }, ms),
      partBuffered: (ms) => diskWrites.observe(ms),
      uploadSlots: (read) => (slots = read),
    }
  }

  #counter<L extends string>(name: string, help: string, labelNames: readonly L[] = []): Counter<L> {
    return new Counter({ name, help, labelNames, registers: [this.registry] })
  }

  #gauge(name: string, help: string, collect?: (this: Gauge) => void): Gauge {
    return new Gauge({ name, help, registers: [this.registry], ...(collect === undefined ? {} : { collect }) })
  }

  #histogram<L extends string>(name: string, help: string, labelNames: readonly L[], buckets: number[]): Histogram<L> {
    return new Histogram({ name, help, labelNames, buckets, registers: [this.registry] })
  }
}
