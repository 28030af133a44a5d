import { waitAtMost } from '../model/wait-at-most.js'
import { delay } from './hook-backend.js'

/** One post-hook to deliver: the upload it is about, and whether a newer one of its kind may replace it. */
export interface PostHookJob {
  readonly uploadId: string
  /** The event, for logs and metrics (`post-finish`, ...). */
  readonly type: string
  /** A job only a newer one of the same type makes pointless (post-receive: a newer offset says more). */
  readonly supersedable: boolean
}

/** Why a post-hook was not delivered. */
export type DropReason = 'queue-full' | 'failed' | 'shutdown' | 'superseded'

/** How a queue delivers, what it tells, and its bounds. */
export interface PostHookQueueOptions<J extends PostHookJob> {
  /** Delivers one job; rejects when the hook failed (it is then tried again later). */
  readonly deliver: (job: J, signal: AbortSignal) => Promise<void>
  /** Told of every job that will not be delivered, with the last failure for `failed`. */
  readonly onDrop: (job: J, reason: DropReason, error?: unknown) => void
  /** Told how many jobs wait or run, after each change. */
  readonly onSize?: (size: number) => void
  /** Most jobs held at once, over all uploads (default 10,000). */
  readonly maxJobs?: number
  /** Most jobs held for one upload (default 16). */
  readonly maxJobsPerUpload?: number
  /** Most deliveries running at once (default 32). */
  readonly concurrency?: number
  /** The pauses before each new try of a failed job (default 1, 2, 4, 8, 16 s: five more tries). */
  readonly retryDelaysMs?: readonly number[]
}

/**
 * Post-hooks, delivered in the background: in order per upload (one at a time for each upload, so a
 * hook never hears of a finish before the creation), retried after a failure with growing pauses, never
 * tied to the request that caused them. Memory is bounded: past `maxJobs` (or `maxJobsPerUpload`) a new
 * job replaces a waiting post-receive, or is dropped; a waiting post-receive is replaced by a newer one of
 * the same upload (it carries the newer offset). Every job not delivered is reported to `onDrop`.
 */
export class PostHookQueue<J extends PostHookJob> {
  readonly #options: Required<PostHookQueueOptions<J>>
  /** Jobs of each upload, oldest first; the first one is being delivered when the upload is in `#running`. */
  readonly #queues = new Map<string, J[]>()
  readonly #running = new Set<string>()
  readonly #abort = new AbortController()
  readonly #slots: (() => void)[] = []
  #size = 0
  #active = 0
  #closed = false
  #idle: (() => void) | undefined

  constructor(options: PostHookQueueOptions<J>) {
    this.#options = { maxJobs: 10_000, maxJobsPerUpload: 16, concurrency: 32, retryDelaysMs: [1000, 2000, 4000, 8000, 16_000], onSize: () => {}, ...options }
  }

  /** Jobs waiting or being delivered. */
  get size(): number {
    return this.#size
  }

  /** Queues a job; it is delivered after the jobs queued before it for the same upload. */
  push(job: J): void {
    if (this.#closed) {
      this.#options.onDrop(job, 'shutdown')
      return
    }
    const queue = this.#queues.get(job.uploadId) ?? []
    // The first job of a running upload is being delivered: it is never replaced.
    const firstWaiting = this.#running.has(job.uploadId) ? 1 : 0
    if (job.supersedable) {
      const index = queue.findIndex((queued, position) => position >= firstWaiting && queued.supersedable && queued.type === job.type)
      if (index !== -1) {
        this.#options.onDrop(queue[index] as J, 'superseded')
        queue[index] = job
        return
      }
    }
    if (queue.length >= this.#options.maxJobsPerUpload && !this.#evict(queue, firstWaiting)) {
      this.#options.onDrop(job, 'queue-full')
      return
    }
    if (this.#size >= this.#options.maxJobs && !this.#evictAnywhere(job)) {
      this.#options.onDrop(job, 'queue-full')
      return
    }
    queue.push(job)
    this.#queues.set(job.uploadId, queue)
    this.#resize(1)
    if (!this.#running.has(job.uploadId)) void this.#work(job.uploadId)
  }

  /**
   * Stops taking jobs and delivers what is queued until `deadline` (a `performance.now()` time); then
   * stops the deliveries still running and reports every job left to `onDrop` as `shutdown`.
   */
  async close(deadline: number): Promise<void> {
    this.#closed = true
    if (this.#size > 0) {
      await waitAtMost(new Promise<void>((resolve) => (this.#idle = resolve)), deadline - performance.now())
    }
    this.#abort.abort(new Error('the gateway is shutting down'))
    for (const queue of this.#queues.values()) for (const job of queue) this.#options.onDrop(job, 'shutdown')
    this.#queues.clear()
    this.#resize(-this.#size)
  }

  async #work(uploadId: string): Promise<void> {
    this.#running.add(uploadId)
    try {
      for (;;) {
        const queue = this.#queues.get(uploadId)
        const job = queue?.[0]
        if (queue === undefined || job === undefined) return
        await this.#deliverWithRetries(job)
        // At shutdown the queues are emptied and their jobs reported; nothing is left to take off.
        if (this.#queues.get(uploadId) !== queue) return
        queue.shift()
        this.#resize(-1)
        if (queue.length === 0) this.#queues.delete(uploadId)
      }
    } finally {
      this.#running.delete(uploadId)
    }
  }

  async #deliverWithRetries(job: J): Promise<void> {
    const { retryDelaysMs } = this.#options
    const signal = this.#abort.signal
    for (let attempt = 0; ; attempt += 1) {
      try {
        await this.#withSlot(() => this.#options.deliver(job, signal))
        return
      } catch (error) {
        if (signal.aborted) return
        const pause = retryDelaysMs[attempt]
        if (pause === undefined) {
          this.#options.onDrop(job, 'failed', error)
          return
        }
        try {
          await delay(pause, signal)
        } catch {
          return
        }
      }
    }
  }

  async #withSlot<T>(work: () => Promise<T>): Promise<T> {
    if (this.#active >= this.#options.concurrency) await new Promise<void>((resolve) => this.#slots.push(resolve))
    else this.#active += 1
    try {
      return await work()
    } finally {
      // The slot passes to the next waiter, or frees up.
      const next = this.#slots.shift()
      if (next !== undefined) next()
      else this.#active -= 1
    }
  }

  /** Makes room in `queue` by dropping a waiting post-receive (or any supersedable job); false when there is none. */
  #evict(queue: J[], firstWaiting: number): boolean {
    const index = queue.findIndex((queued, position) => position >= firstWaiting && queued.supersedable)
    if (index === -1) return false
    this.#options.onDrop(queue[index] as J, 'queue-full')
    queue.splice(index, 1)
    this.#resize(-1)
    return true
  }

  /** Makes room for a job that must not be lost by dropping a waiting supersedable job of any upload. */
  #evictAnywhere(job: J): boolean {
    if (job.supersedable) return false
    for (const [uploadId, queue] of this.#queues) {
      if (this.#evict(queue, this.#running.has(uploadId) ? 1 : 0)) return true
    }
    return false
  }

  #resize(delta: number): void {
    this.#size += delta
    this.#options.onSize(this.#size)
    if (this.#size === 0) this.#idle?.()
  }
}
