import { randomUUID } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { LockBusy } from '../model/errors.js'
import { LockLoss, ReleaseRequested, ShutdownRequested, StopRequested } from '../model/stop-reasons.js'
import type { AcquireOptions, Locker } from './locker.js'

/** What `runLockerSuite` needs to know about a locker. */
export interface LockerSuiteOptions {
  /**
   * A fresh locker per test, and a way to free what it holds. A locker that spans processes also gives a
   * `peer`: a second instance on the same backend, standing for another process; hand-over, release and
   * stop requests and fences are then tested across the two as well. `cleanup` runs after every test,
   * also after the one that closed the locker (so `close()` must be safe to call twice).
   */
  make(): Promise<{ locker: Locker; peer?: Locker; cleanup(): Promise<void> }>
  /** Titles of tests this locker does not pass yet; each must name a test of the suite. */
  skip?: string[]
  /** The most waiters the locker queues per id, when it has a bound; the suite then checks `LockBusy` past it. */
  maxWaiters?: number
  capabilities?: {
    /**
     * Makes `locker` lose its lock on `id` (a Redis lease deleted or left to expire); resolves once it is
     * lost. Lockers whose locks cannot be lost (memory) leave it out, and the lock-loss test is not run.
     */
    lockLoss?: (locker: Locker, id: string) => Promise<void>
  }
  /**
   * How long the suite lets the locker act before it checks that something did not happen (a waiter still
   * waits, a signal is still quiet) or before the next request arrives, so that arrival order is the order
   * of the calls. Default 50 ms; a locker whose events take longer to travel may ask for more.
   */
  settleMs?: number
}

/**
 * Registers the vitest tests every `Locker` must pass, under `describe(\`locker: ${name}\`)`: grants,
 * FIFO hand-over, release requests (and `requestRelease: false`), waiters that give up, double
 * releases, stop requests, fences, lock loss, the waiter bound, `close()`, and waiting without a busy loop.
 */
export function runLockerSuite(name: string, options: LockerSuiteOptions): void {
  const skip = new Set(options.skip ?? [])
  const settleMs = options.settleMs ?? 50
  const lockLoss = options.capabilities?.lockLoss
  const maxWaiters = options.maxWaiters
  let locker: Locker
  let peer: Locker | undefined
  let cleanup: (() => Promise<void>) | undefined

  const titles = new Set<string>()
  // Every test is declared through this, so `skip` can be checked against the real titles.
  function test(title: string, body: () => Promise<void>): void {
    titles.add(title)
    it.skipIf(skip.has(title))(title, body)
  }

  /** Lets the locker act: a grant, a release request or a queued waiter reach their destination. */
  const settle = (): Promise<unknown> => sleep(settleMs)

  /**
   * Runs `body` with the holder and the others on one locker, then, when `make` gave a peer, with the
   * others on the peer (another process). A fresh id each time; a failure names the pairing.
   */
  async function acrossLockers(body: (holderSide: Locker, otherSide: Locker, id: string) => Promise<void>): Promise<void> {
    const pairs: [string, Locker, Locker][] = [['one locker', locker, locker]]
    if (peer !== undefined) pairs.push(['two lockers on one backend', locker, peer])
    for (const [label, holderSide, otherSide] of pairs) {
      try {
        await body(holderSide, otherSide, newId())
      } catch (error) {
        if (error instanceof Error) error.message = `${label}: ${error.message}`
        throw error
      }
    }
  }

  describe(`locker: ${name}`, () => {
    beforeEach(async () => {
      const made = await options.make()
      locker = made.locker
      peer = made.peer
      cleanup = made.cleanup
    })
    afterEach(async () => {
      await cleanup?.()
      cleanup = undefined
    })

    test('grants a free lock at once, with a quiet signal and a fence', async () => {
      const lock = await locker.acquire(newId(), wait())
      expect(lock.signal.aborted).toBe(false)
      expect(Number.isSafeInteger(lock.fence)).toBe(true)
      await lock.release()
    })

    test('keeps the locks of distinct ids apart', async () => {
      const a = await locker.acquire(newId(), wait())
      const b = await locker.acquire(newId(), wait())
      await settle()
      expect(a.signal.aborted).toBe(false)
      expect(b.signal.aborted).toBe(false)
      await Promise.all([a.release(), b.release()])
    })

    test('makes a second request wait until the holder releases, then grants it', async () => {
      await acrossLockers(async (holderSide, otherSide, id) => {
        const holder = await holderSide.acquire(id, wait())
        const waiter = track(otherSide.acquire(id, wait()))
        await settle()
        expect(waiter.settled).toBe(false)
        await holder.release()
        const lock = await waiter.promise
        await settle()
        // Nobody waits behind it: it is left alone.
        expect(lock.signal.aborted).toBe(false)
        await lock.release()
      })
    })

    test('hands the lock over to several waiters in arrival order (FIFO)', async () => {
      await acrossLockers(async (holderSide, otherSide, id) => {
        const holder = await holderSide.acquire(id, wait())
        const order: string[] = []
        const waiters: Promise<void>[] = []
        for (const [name, side] of [['b', otherSide], ['c', holderSide], ['d', otherSide]] as const) {
          waiters.push(
            side.acquire(id, wait()).then(async (lock) => {
              order.push(name)
              await lock.release()
            }),
          )
          await settle()
        }
        await holder.release()
        await Promise.all(waiters)
        expect(order).toEqual(['b', 'c', 'd'])
      })
    })

    test('asks the new holder to release at once when others still wait, and leaves the last one alone', async () => {
      await acrossLockers(async (holderSide, otherSide, id) => {
        const holder = await holderSide.acquire(id, wait())
        const second = otherSide.acquire(id, wait())
        await settle()
        const third = holderSide.acquire(id, wait())
        await settle()
        await holder.release()
        const secondLock = await second
        expect(await abortReason(secondLock.signal)).toBeInstanceOf(ReleaseRequested)
        await secondLock.release()
        const thirdLock = await third
        await settle()
        expect(thirdLock.signal.aborted).toBe(false)
        await thirdLock.release()
      })
    })

    test('rejects a waiter whose signal aborts with that reason; the next waiter still gets the lock', async () => {
      const id = newId()
      const holder = await locker.acquire(id, wait())
      const timeout = new AbortController()
      const impatient = locker.acquire(id, { signal: timeout.signal })
      await settle()
      const patient = track(locker.acquire(id, wait()))
      await settle()
      const reason = new Error('acquire-lock timeout')
      timeout.abort(reason)
      await expect(impatient).rejects.toBe(reason)
      await settle()
      expect(patient.settled).toBe(false)
      await holder.release()
      await (await patient.promise).release()
    })

    test('rejects at once when the signal is aborted already, without asking the holder', async () => {
      const id = newId()
      const holder = await locker.acquire(id, wait())
      const reason = new Error('client gone')
      await expect(locker.acquire(id, { signal: AbortSignal.abort(reason) })).rejects.toBe(reason)
      await settle()
      expect(holder.signal.aborted).toBe(false)
      await holder.release()
    })

    test('frees the lock when its holder releases after its only waiter gave up', async () => {
      const id = newId()
      const holder = await locker.acquire(id, wait())
      const gone = new AbortController()
      const waiter = locker.acquire(id, { signal: gone.signal })
      await settle()
      gone.abort(new Error('client gone'))
      await expect(waiter).rejects.toThrow('client gone')
      await holder.release()
      // Had the waiter stayed queued, the lock would have gone to it and this would wait for ever.
      const next = await locker.acquire(id, wait())
      await settle()
      expect(next.signal.aborted).toBe(false)
      await next.release()
    })

    test('treats a second release as harmless: it does not free a lock that passed on', async () => {
      const id = newId()
      const first = await locker.acquire(id, wait())
      const second = locker.acquire(id, wait())
      await settle()
      await first.release()
      const secondLock = await second
      const third = track(locker.acquire(id, wait()))
      await settle()
      await first.release()
      await settle()
      expect(third.settled).toBe(false)
      await secondLock.release()
      await (await third.promise).release()
    })

    test('asks the holder to release with ReleaseRequested when another request waits', async () => {
      await acrossLockers(async (holderSide, otherSide, id) => {
        const holder = await holderSide.acquire(id, wait())
        const waiter = otherSide.acquire(id, wait())
        expect(await abortReason(holder.signal)).toBeInstanceOf(ReleaseRequested)
        await holder.release()
        await (await waiter).release()
      })
    })

    test('asks a holder once: later waiters leave its signal and reason as they were', async () => {
      const id = newId()
      const holder = await locker.acquire(id, wait())
      let aborts = 0
      holder.signal.addEventListener('abort', () => aborts++)
      const second = locker.acquire(id, wait())
      const asked = await abortReason(holder.signal)
      const third = locker.acquire(id, wait())
      await settle()
      expect(aborts).toBe(1)
      expect(holder.signal.reason).toBe(asked)
      await holder.release()
      await (await second).release()
      await (await third).release()
    })

    test('waits without asking the holder when requestRelease is false, and takes its turn', async () => {
      const id = newId()
      const holder = await locker.acquire(id, wait())
      const sweeper = track(locker.acquire(id, wait({ requestRelease: false })))
      await settle()
      expect(holder.signal.aborted).toBe(false)
      expect(sweeper.settled).toBe(false)
      await holder.release()
      const lock = await sweeper.promise
      await settle()
      expect(lock.signal.aborted).toBe(false)
      await lock.release()
    })

    test('asks a new holder to release only on behalf of waiters that did not pass requestRelease: false', async () => {
      const id = newId()
      const holder = await locker.acquire(id, wait())
      const first = locker.acquire(id, wait())
      await settle()
      const sweeper = locker.acquire(id, wait({ requestRelease: false }))
      await settle()
      await holder.release()
      const firstLock = await first
      await settle()
      // Only the sweeper waits behind it, and it asked not to disturb.
      expect(firstLock.signal.aborted).toBe(false)
      const last = locker.acquire(id, wait())
      expect(await abortReason(firstLock.signal)).toBeInstanceOf(ReleaseRequested)
      await firstLock.release()
      const sweeperLock = await sweeper
      // The sweeper holds it now, and `last` behind it wants it: the sweeper is asked at once.
      expect(await abortReason(sweeperLock.signal)).toBeInstanceOf(ReleaseRequested)
      await sweeperLock.release()
      await (await last).release()
    })

    test('delivers requestStop to the holder as its StopRequested, details included, without taking the lock', async () => {
      await acrossLockers(async (holderSide, otherSide, id) => {
        const holder = await holderSide.acquire(id, wait())
        const stop = new StopRequested({ terminate: true, answer: { status: 400, headers: { 'x-reason': 'virus' }, body: 'infected' } })
        await otherSide.requestStop(id, stop)
        const reason = await abortReason(holder.signal)
        expect(reason).toBeInstanceOf(StopRequested)
        expect((reason as StopRequested).details).toEqual(stop.details)
        const waiter = track(otherSide.acquire(id, wait({ requestRelease: false })))
        await settle()
        expect(waiter.settled).toBe(false)
        await holder.release()
        await (await waiter.promise).release()
      })
    })

    test('treats requestStop on a free id as a no-op: the next holder is not stopped', async () => {
      await acrossLockers(async (holderSide, otherSide, id) => {
        await otherSide.requestStop(id, new StopRequested({ terminate: true }))
        await settle()
        const lock = await holderSide.acquire(id, wait())
        await settle()
        expect(lock.signal.aborted).toBe(false)
        await lock.release()
      })
    })

    test('gives every grant of one id a greater fence, through hand-overs too', async () => {
      await acrossLockers(async (holderSide, otherSide, id) => {
        const fences: number[] = []
        for (const side of [holderSide, otherSide, holderSide]) {
          const lock = await side.acquire(id, wait())
          fences.push(lock.fence)
          await lock.release()
        }
        const holder = await holderSide.acquire(id, wait())
        const waiter = otherSide.acquire(id, wait())
        await settle()
        await holder.release()
        const handedOver = await waiter
        fences.push(holder.fence, handedOver.fence)
        await handedOver.release()
        for (let i = 1; i < fences.length; i++) expect(fences[i]).toBeGreaterThan(fences[i - 1] as number)
      })
    })

    test('with wait: false takes a free lock, and refuses a held one at once with LockBusy without disturbing its holder', async () => {
      await acrossLockers(async (holderSide, otherSide, id) => {
        const first = await otherSide.acquire(id, wait({ wait: false }))
        await first.release()
        const holder = await holderSide.acquire(id, wait())
        await expect(otherSide.acquire(id, wait({ wait: false }))).rejects.toBeInstanceOf(LockBusy)
        await settle()
        expect(holder.signal.aborted).toBe(false)
        await holder.release()
      })
    })

    test('keeps `lost` quiet when the holder is only asked to release', async () => {
      await acrossLockers(async (holderSide, otherSide, id) => {
        const holder = await holderSide.acquire(id, wait())
        const waiter = otherSide.acquire(id, wait())
        await abortReason(holder.signal)
        expect(holder.lost.aborted).toBe(false)
        await holder.release()
        await (await waiter).release()
      })
    })

    if (lockLoss !== undefined) {
      test('aborts the holder with LockLoss when the lock is lost; a waiter gets it, and the old release frees nothing', async () => {
        await acrossLockers(async (holderSide, otherSide, id) => {
          const holder = await holderSide.acquire(id, wait())
          const waiter = otherSide.acquire(id, wait({ requestRelease: false }))
          await settle()
          await lockLoss(holderSide, id)
          const reason = await abortReason(holder.signal)
          expect(reason).toBeInstanceOf(LockLoss)
          expect((reason as LockLoss).id).toBe(id)
          // `lost` tells a loss apart from a release request: it aborts for a loss only.
          expect(holder.lost.aborted).toBe(true)
          expect(holder.lost.reason).toBeInstanceOf(LockLoss)
          const next = await waiter
          expect(next.fence).toBeGreaterThan(holder.fence)
          const after = track(otherSide.acquire(id, wait({ requestRelease: false })))
          await holder.release()
          await settle()
          expect(after.settled).toBe(false)
          await next.release()
          await (await after.promise).release()
        })
      })
    }

    if (maxWaiters !== undefined) {
      test('refuses a request past maxWaiters at once with LockBusy; a waiter that gives up frees its place', async () => {
        const id = newId()
        const holder = await locker.acquire(id, wait())
        const controllers = Array.from({ length: maxWaiters }, () => new AbortController())
        const waiters = controllers.map((controller) => track(locker.acquire(id, { signal: controller.signal })))
        await settle()
        const refused = locker.acquire(id, wait())
        await expect(refused).rejects.toBeInstanceOf(LockBusy)
        await expect(refused).rejects.toMatchObject({ id, waiting: maxWaiters })
        if (maxWaiters > 0) {
          controllers[0]?.abort(new Error('client gone'))
          await waiters[0]?.promise.catch(() => {})
          const late = new AbortController()
          const admitted = track(locker.acquire(id, { signal: late.signal }))
          await settle()
          expect(admitted.settled).toBe(false)
          controllers.push(late)
          waiters.push(admitted)
        }
        for (const controller of controllers) controller.abort(new Error('test over'))
        await Promise.allSettled(waiters.map((waiter) => waiter.promise))
        await holder.release()
      })
    }

    test('close() rejects every waiter with ShutdownRequested and aborts the holder with it, which hands the lock to nobody', async () => {
      const id = newId()
      const holder = await locker.acquire(id, wait())
      // As the service does: it lets go the moment it is told to.
      holder.signal.addEventListener('abort', () => void holder.release(), { once: true })
      const waiter = locker.acquire(id, wait({ requestRelease: false }))
      await settle()
      await locker.close()
      await expect(waiter).rejects.toBeInstanceOf(ShutdownRequested)
      expect(await abortReason(holder.signal)).toBeInstanceOf(ShutdownRequested)
      await holder.release()
    })

    test('waits on events, not by polling: a waiting request costs almost no CPU', async () => {
      await acrossLockers(async (holderSide, otherSide, id) => {
        const holder = await holderSide.acquire(id, wait())
        const waiter = otherSide.acquire(id, wait({ requestRelease: false }))
        await settle()
        const before = process.cpuUsage()
        await sleep(300)
        const used = process.cpuUsage(before)
        await holder.release()
        await (await waiter).release()
        // A waiter polling in a loop (setImmediate, as @tus/server's locker) burns a core: ~300 ms of CPU in
        // 300 ms. One waiting on an event costs next to nothing; 100 ms is a generous bound on a busy machine.
        expect((used.user + used.system) / 1000).toBeLessThan(100)
      })
    })

    it('names only tests of the suite in skip', () => {
      expect([...skip].filter((title) => !titles.has(title))).toEqual([])
    })
  })
}

function newId(): string {
  return `lock-suite-${randomUUID()}`
}

/** Options for a request that waits as long as the test runs. */
function wait(options: Omit<AcquireOptions, 'signal'> = {}): AcquireOptions {
  return { signal: new AbortController().signal, ...options }
}

/** Resolves with the reason of `signal` once it aborts (at once if it has). */
function abortReason(signal: AbortSignal): Promise<unknown> {
  if (signal.aborted) return Promise.resolve(signal.reason)
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve(signal.reason), { once: true }))
}

/** Tracks whether a promise has settled, without awaiting it. */
function track<T>(promise: Promise<T>): { readonly settled: boolean; readonly promise: Promise<T> } {
  const state = { settled: false, promise }
  promise.then(
    () => (state.settled = true),
    () => (state.settled = true),
  )
  return state
}
