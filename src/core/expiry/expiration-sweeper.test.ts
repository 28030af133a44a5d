import { mkdtemp, readdir, rm, utimes } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { MemoryLocker } from '../../lock/memory-locker.js'
import { UploadExpired, UploadNotFound } from '../../model/errors.js'
import { FileStore } from '../../store/file/file-store.js'
import { UploadEvents, type LifecycleEvent } from '../events.js'
import { UploadService, type RequestContext } from '../service.js'
import { ExpirationSweeper, type SweepReport, type SweeperOptions } from './expiration-sweeper.js'
import type { ExpirationPolicy } from './expiration.js'

const HOUR = 3_600_000
const context = (): RequestContext => ({ signal: new AbortController().signal })

async function* chunks(...parts: string[]): AsyncGenerator<Uint8Array> {
  for (const part of parts) yield Buffer.from(part)
}

describe('ExpirationSweeper', () => {
  let directory: string
  let store: FileStore
  let locker: MemoryLocker
  let events: LifecycleEvent[]
  const services: UploadService[] = []
  const sweepers: ExpirationSweeper[] = []

  function service(expiration: ExpirationPolicy, remembered?: number): UploadService {
    const bus = new UploadEvents()
    bus.subscribe((event) => void events.push(event))
    const made = new UploadService({
      store,
      locker,
      events: bus,
      maxSize: 0,
      acquireLockTimeoutMs: 10_000,
      networkTimeoutMs: 0,
      expiration,
      expiredUploadsRemembered: remembered,
    })
    services.push(made)
    return made
  }

  function sweeper(uploads: UploadService, options: Partial<SweeperOptions> = {}): ExpirationSweeper {
    const made = new ExpirationSweeper(uploads, { intervalMs: 60_000, maxRemovalsPerSecond: 1_000, lockWaitMs: 5_000, ...options })
    sweepers.push(made)
    return made
  }

  /** Makes an upload look last written `ago` milliseconds ago (its data file's modification time). */
  async function lastWritten(id: string, ago: number): Promise<void> {
    const when = new Date(Date.now() - ago)
    await utimes(join(directory, id), when, when)
  }

  async function upload(uploads: UploadService, length: number | undefined, data?: string, concat?: 'partial'): Promise<string> {
    const { upload: created } = await uploads.create({ length, metadata: {}, concat: concat && { kind: concat } }, context())
    if (data !== undefined) await uploads.append(created.id, { offset: 0, body: chunks(data) }, context())
    return created.id
  }

  beforeEach(async () => {
    directory = await mkdtemp(join(tmpdir(), 'sweeper-'))
    store = await FileStore.open({ directory })
    locker = new MemoryLocker()
    events = []
  })
  afterEach(async () => {
    for (const made of sweepers.splice(0)) await made.stop()
    for (const made of services.splice(0)) await made.close()
    await rm(directory, { recursive: true, force: true })
  })

  it('[T-39] removes unfinished uploads idle past their expiry, data and info, and reports the space freed', async () => {
    const uploads = service({ unfinishedAfterMs: HOUR, finishedAfterMs: 0 })
    const [old, oldDeferred, fresh, finished] = [
      await upload(uploads, 10, 'abcd'),
      await upload(uploads, undefined, 'xyz'),
      await upload(uploads, 10, 'abcd'),
      await upload(uploads, 2, 'ab'),
    ]
    await lastWritten(old, HOUR + 1000)
    await lastWritten(oldDeferred, 2 * HOUR)
    await lastWritten(finished, 10 * HOUR)
    const report = await sweeper(uploads).sweep(new AbortController().signal)
    expect(report).toMatchObject({ scanned: 4, removed: 2, freedBytes: 7, skipped: 0 })
    expect((await readdir(directory)).sort()).toEqual([fresh, `${fresh}.info`, finished, `${finished}.info`].sort())
    const expired = events.filter((event) => event.type === 'expired').map((event) => (event as { upload: { id: string } }).upload.id)
    expect(expired.sort()).toEqual([old, oldDeferred].sort())
  })

  it('[T-41] leaves the gateway remembering what expired: expired while remembered, not found after', async () => {
    const uploads = service({ unfinishedAfterMs: HOUR, finishedAfterMs: 0 }, 1)
    const [first, second] = [await upload(uploads, 10, 'a'), await upload(uploads, 10, 'b')]
    await lastWritten(first, 2 * HOUR)
    await sweeper(uploads).sweep(new AbortController().signal)
    await expect(uploads.status(first, context())).rejects.toBeInstanceOf(UploadExpired)
    await expect(uploads.append(first, { offset: 1, body: chunks('x') }, context())).rejects.toBeInstanceOf(UploadExpired)
    // Only one id is remembered: when the next upload expires, the first one is simply unknown.
    await lastWritten(second, 2 * HOUR)
    await sweeper(uploads).sweep(new AbortController().signal)
    await expect(uploads.status(second, context())).rejects.toBeInstanceOf(UploadExpired)
    await expect(uploads.status(first, context())).rejects.toBeInstanceOf(UploadNotFound)
  })

  it('removes finished uploads only when the policy says so', async () => {
    const uploads = service({ unfinishedAfterMs: 0, finishedAfterMs: HOUR })
    const [finished, unfinished] = [await upload(uploads, 2, 'ab'), await upload(uploads, 4, 'ab')]
    await lastWritten(finished, 2 * HOUR)
    await lastWritten(unfinished, 100 * HOUR)
    expect(await sweeper(uploads).sweep(new AbortController().signal)).toMatchObject({ removed: 1, freedBytes: 2 })
    await expect(uploads.status(finished, context())).rejects.toBeInstanceOf(UploadExpired)
    expect((await uploads.status(unfinished, context())).offset).toBe(2)
  })

  it('leaves an upload whose lock is held for the next pass', async () => {
    const uploads = service({ unfinishedAfterMs: HOUR, finishedAfterMs: 0 })
    const id = await upload(uploads, 10, 'abc')
    await lastWritten(id, 2 * HOUR)
    // Another request holds the upload and does not let go.
    const held = await locker.acquire(id, { signal: new AbortController().signal })
    const report = await sweeper(uploads, { lockWaitMs: 50 }).sweep(new AbortController().signal)
    expect(report).toMatchObject({ removed: 0, skipped: 1 })
    await held.release()
    expect(await sweeper(uploads).sweep(new AbortController().signal)).toMatchObject({ removed: 1, skipped: 0 })
  })

  it('keeps a final upload alive while its partial uploads receive bytes, and the finished partial uploads it awaits', async () => {
    const uploads = service({ unfinishedAfterMs: HOUR, finishedAfterMs: HOUR })
    const done = await upload(uploads, 2, 'ab', 'partial')
    const receiving = await upload(uploads, 4, 'c', 'partial')
    const { upload: final } = await uploads.create({ metadata: {}, concat: { kind: 'final', partials: [done, receiving] } }, context())
    await lastWritten(final.id, 2 * HOUR)
    await lastWritten(done, 2 * HOUR)
    expect(await sweeper(uploads).sweep(new AbortController().signal)).toMatchObject({ scanned: 3, removed: 0 })
    // Once the last partial upload has gone quiet too, the final upload expires with it, and then the
    // finished partial upload nothing awaits any more (in this pass or the next: the listing has no order).
    await lastWritten(receiving, 2 * HOUR)
    const first = await sweeper(uploads).sweep(new AbortController().signal)
    const second = await sweeper(uploads).sweep(new AbortController().signal)
    expect(first.removed + second.removed).toBe(3)
    for (const id of [final.id, receiving, done]) await expect(uploads.status(id, context())).rejects.toBeInstanceOf(UploadExpired)
  })

  it('sweeps at start, reports each pass, and stops for good', async () => {
    const uploads = service({ unfinishedAfterMs: HOUR, finishedAfterMs: 0 })
    const id = await upload(uploads, 10, 'abc')
    await lastWritten(id, 2 * HOUR)
    let report!: (value: SweepReport) => void
    const reported = new Promise<SweepReport>((resolve) => (report = resolve))
    const running = sweeper(uploads, { onReport: report })
    running.start()
    expect(await reported).toMatchObject({ removed: 1, freedBytes: 3 })
    await running.stop()
    running.start()
    const later = await upload(uploads, 10, 'x')
    await lastWritten(later, 2 * HOUR)
    // Stopped: nothing sweeps it any more (a request would still find it expired).
    await expect(store.open(later, context().signal).then((handle) => handle.state)).resolves.toMatchObject({ offset: 1 })
  })
})
