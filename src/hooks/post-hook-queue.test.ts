import { describe, expect, it } from 'vitest'
import { PostHookQueue, type DropReason, type PostHookJob } from './post-hook-queue.js'

interface Job extends PostHookJob {
  readonly n: number
}

const job = (uploadId: string, type: string, n: number): Job => ({ uploadId, type, n, supersedable: type === 'post-receive' })

/** A queue whose deliveries wait until released, recording what was delivered and dropped. */
function harness(options: { maxJobs?: number; maxJobsPerUpload?: number; concurrency?: number; fail?: (job: Job, attempt: number) => boolean } = {}) {
  const delivered: string[] = []
  const dropped: [string, DropReason][] = []
  const attempts = new Map<Job, number>()
  const waiting: (() => void)[] = []
  let hold = false
  const queue = new PostHookQueue<Job>({
    deliver: async (job, signal) => {
      const attempt = (attempts.get(job) ?? 0) + 1
      attempts.set(job, attempt)
      if (hold) {
        await new Promise<void>((resolve, reject) => {
          waiting.push(resolve)
          signal.addEventListener('abort', () => reject(signal.reason as Error), { once: true })
        })
      }
      if (options.fail?.(job, attempt) === true) throw new Error(`attempt ${attempt} of ${job.type} failed`)
      delivered.push(`${job.uploadId}:${job.type}:${job.n}`)
    },
    onDrop: (job, reason) => dropped.push([`${job.uploadId}:${job.type}:${job.n}`, reason]),
    retryDelaysMs: [5, 5],
    ...options,
  })
  const settle = async (): Promise<void> => {
    for (let i = 0; i < 50 && queue.size > 0; i += 1) await new Promise((resolve) => setTimeout(resolve, 5))
  }
  return {
    queue,
    delivered,
    dropped,
    settle,
    hold: () => (hold = true),
    release: () => {
      hold = false
      waiting.splice(0).forEach((resolve) => resolve())
    },
  }
}

describe('PostHookQueue', () => {
  it('delivers the jobs of one upload in order, one at a time', async () => {
    const h = harness()
    h.hold()
    h.queue.push(job('a', 'post-create', 1))
    h.queue.push(job('a', 'post-receive', 2))
    h.queue.push(job('a', 'post-finish', 3))
    expect(h.queue.size).toBe(3)
    h.release()
    await h.settle()
    expect(h.delivered).toEqual(['a:post-create:1', 'a:post-receive:2', 'a:post-finish:3'])
    expect(h.queue.size).toBe(0)
  })

  it('replaces a waiting post-receive by a newer one of the same upload, keeping its place', async () => {
    const h = harness()
    h.hold()
    h.queue.push(job('a', 'post-create', 1))
    h.queue.push(job('a', 'post-receive', 2))
    h.queue.push(job('a', 'post-receive', 3))
    h.queue.push(job('a', 'post-finish', 4))
    h.release()
    await h.settle()
    expect(h.delivered).toEqual(['a:post-create:1', 'a:post-receive:3', 'a:post-finish:4'])
    expect(h.dropped).toEqual([['a:post-receive:2', 'superseded']])
  })

  it('never replaces the post-receive being delivered', async () => {
    const h = harness()
    h.hold()
    h.queue.push(job('a', 'post-receive', 1))
    h.queue.push(job('a', 'post-receive', 2))
    h.release()
    await h.settle()
    expect(h.delivered).toEqual(['a:post-receive:1', 'a:post-receive:2'])
  })

  it('tries a failed job again after the pauses, then gives it up and goes on with the next', async () => {
    const h = harness({ fail: (job) => job.type === 'post-create' })
    h.queue.push(job('a', 'post-create', 1))
    h.queue.push(job('a', 'post-finish', 2))
    await h.settle()
    expect(h.dropped).toEqual([['a:post-create:1', 'failed']])
    expect(h.delivered).toEqual(['a:post-finish:2'])
  })

  it('delivers a job that succeeds on a later try, in its place', async () => {
    const h = harness({ fail: (job, attempt) => job.type === 'post-create' && attempt < 3 })
    h.queue.push(job('a', 'post-create', 1))
    h.queue.push(job('a', 'post-finish', 2))
    await h.settle()
    expect(h.delivered).toEqual(['a:post-create:1', 'a:post-finish:2'])
    expect(h.dropped).toEqual([])
  })

  it('holds at most maxJobs: a full queue makes room by dropping a waiting post-receive, or drops the new job', async () => {
    const h = harness({ maxJobs: 3 })
    h.hold()
    h.queue.push(job('a', 'post-create', 1))
    h.queue.push(job('a', 'post-receive', 2))
    h.queue.push(job('b', 'post-create', 3))
    h.queue.push(job('b', 'post-finish', 4))
    h.queue.push(job('c', 'post-create', 5))
    h.queue.push(job('c', 'post-receive', 6))
    expect(h.queue.size).toBe(3)
    h.release()
    await h.settle()
    expect(h.delivered).toEqual(['a:post-create:1', 'b:post-create:3', 'b:post-finish:4'])
    expect(h.dropped).toEqual([
      ['a:post-receive:2', 'queue-full'],
      ['c:post-create:5', 'queue-full'],
      ['c:post-receive:6', 'queue-full'],
    ])
  })

  it('holds at most maxJobsPerUpload for one upload', async () => {
    const h = harness({ maxJobsPerUpload: 2 })
    h.hold()
    for (let n = 1; n <= 4; n += 1) h.queue.push(job('a', `event-${n}`, n))
    h.release()
    await h.settle()
    expect(h.delivered).toEqual(['a:event-1:1', 'a:event-2:2'])
    expect(h.dropped.map(([, reason]) => reason)).toEqual(['queue-full', 'queue-full'])
  })

  it('runs at most `concurrency` deliveries at once, over all uploads', async () => {
    let running = 0
    let most = 0
    const queue = new PostHookQueue<Job>({
      deliver: async () => {
        running += 1
        most = Math.max(most, running)
        await new Promise((resolve) => setTimeout(resolve, 5))
        running -= 1
      },
      onDrop: () => {},
      concurrency: 3,
    })
    for (let n = 0; n < 20; n += 1) queue.push(job(`u${n}`, 'post-create', n))
    await queue.close(performance.now() + 5_000)
    expect(most).toBe(3)
  })

  it('on close, delivers what it can before the deadline, then reports the rest as not delivered', async () => {
    const h = harness()
    h.queue.push(job('a', 'post-create', 1))
    await h.settle()
    h.hold()
    h.queue.push(job('a', 'post-finish', 2))
    h.queue.push(job('b', 'post-create', 3))
    await h.queue.close(performance.now() + 50)
    expect(h.delivered).toEqual(['a:post-create:1'])
    expect(h.dropped.sort()).toEqual([
      ['a:post-finish:2', 'shutdown'],
      ['b:post-create:3', 'shutdown'],
    ])
    h.queue.push(job('c', 'post-create', 4))
    expect(h.dropped).toContainEqual(['c:post-create:4', 'shutdown'])
    expect(h.queue.size).toBe(0)
  })

  it('on close, waits for the queue to drain when it can', async () => {
    const h = harness({ fail: (_job, attempt) => attempt === 1 })
    h.queue.push(job('a', 'post-create', 1))
    h.queue.push(job('a', 'post-finish', 2))
    await h.queue.close(performance.now() + 5_000)
    expect(h.delivered).toEqual(['a:post-create:1', 'a:post-finish:2'])
    expect(h.dropped).toEqual([])
  })
})
