import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { existsSync } from 'node:fs'
import { mkdtemp, readdir, readFile, rename, rm, unlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { LockBusy } from '../../model/errors.js'
import { LockLoss } from '../../model/stop-reasons.js'
import { runLockerSuite } from '../conformance.suite.js'
import { FileLocker, type FileLockerOptions } from './file-locker.js'
import { formatLock } from './lock-files.js'
import { self } from './process-identity.js'

// Two lockers on one directory stand for two processes of one host: they share nothing but the files
// (each its own watcher, tokens, waiters). test/scale-out has the same with real processes.
runLockerSuite('file', {
  make: async () => {
    const directory = await mkdtemp(join(tmpdir(), 'rg-file-locker-'))
    const locker = await FileLocker.open({ directory, maxWaiters: 8 })
    const peer = await FileLocker.open({ directory, maxWaiters: 8 })
    return {
      locker,
      peer,
      cleanup: async () => {
        await Promise.all([locker.close(), peer.close()])
        await rm(directory, { recursive: true, force: true })
      },
    }
  },
  maxWaiters: 8,
})

describe('FileLocker', () => {
  let directory: string
  const lockers: FileLocker[] = []
  const children: ChildProcess[] = []

  beforeEach(async () => {
    directory = await mkdtemp(join(tmpdir(), 'rg-file-locker-'))
  })
  afterEach(async () => {
    await Promise.all(lockers.splice(0).map((locker) => locker.close()))
    for (const child of children.splice(0)) child.kill('SIGKILL')
    await rm(directory, { recursive: true, force: true })
  })

  async function open(options: Partial<FileLockerOptions> = {}): Promise<FileLocker> {
    const locker = await FileLocker.open({ directory, ...options })
    lockers.push(locker)
    return locker
  }

  /** A process that lives until the test ends, and one that has ended. */
  function liveProcess(): number {
    const child = spawn('sleep', ['60'])
    children.push(child)
    return child.pid as number
  }
  async function deadProcess(): Promise<number> {
    const child = spawn(process.execPath, ['-e', ''])
    await once(child, 'exit')
    return child.pid as number
  }

  const forever = (): AbortSignal => new AbortController().signal

  async function until(check: () => Promise<boolean> | boolean): Promise<void> {
    for (let tries = 0; tries < 200; tries++) {
      if (await check()) return
      await sleep(10)
    }
    throw new Error('the condition never held')
  }

  it('writes the holder\'s pid on the first line of <id>.lock, which is all tusd reads', async () => {
    const lock = await (await open()).acquire('upload', { signal: forever() })
    const text = await readFile(join(directory, 'upload.lock'), 'utf8')
    expect(text.split('\n')[0]).toBe(String(process.pid))
    expect(JSON.parse(text.split('\n')[1] as string)).toMatchObject({ fence: lock.fence })
    await lock.release()
    expect(existsSync(join(directory, 'upload.lock'))).toBe(false)
  })

  it('respects a lock of tusd (a pid line only) held by a live process: asks it with <id>.stop, takes it once tusd removes it', async () => {
    await writeFile(join(directory, 'shared.lock'), `${liveProcess()}\n`)
    const waiter = (await open()).acquire('shared', { signal: forever() })
    // tusd's holder polls for <id>.stop and lets go when it appears.
    await until(() => existsSync(join(directory, 'shared.stop')))
    await unlink(join(directory, 'shared.lock'))
    const lock = await waiter
    expect(lock.fence).toBeGreaterThan(0)
    await lock.release()
  })

  it('takes over a lock of tusd whose process is gone, at once', async () => {
    await writeFile(join(directory, 'left.lock'), `${await deadProcess()}\n`)
    const lock = await (await open()).acquire('left', { signal: forever(), wait: false })
    await lock.release()
  })

  it('takes over a lock whose pid now belongs to a newer process (its start time differs)', async () => {
    await writeFile(
      join(directory, 'reused.lock'),
      formatLock({ token: 'older', fence: 1, holder: { ...self, start: String(Number(self.start ?? '0') - 1) }, asked: false }),
    )
    const lock = await (await open()).acquire('reused', { signal: forever(), wait: false })
    expect(lock.fence).toBeGreaterThan(1)
    await lock.release()
  })

  it('respects a lock from another PID namespace, which it cannot check, and warns about it', async () => {
    const warnings: string[] = []
    await writeFile(join(directory, 'contained.lock'), formatLock({ token: 'elsewhere', fence: 1, holder: { ...self, pid: 1, pidns: 'pid:[1]' }, asked: false }))
    const locker = await open({ onWarning: (message) => warnings.push(message) })
    await expect(locker.acquire('contained', { signal: forever(), wait: false })).rejects.toBeInstanceOf(LockBusy)
    expect(warnings).toEqual([expect.stringContaining('another PID namespace')])
  })

  it('aborts the holder with LockLoss when its lock file is removed behind its back', async () => {
    const lock = await (await open()).acquire('removed', { signal: forever() })
    await unlink(join(directory, 'removed.lock'))
    await until(() => lock.lost.aborted)
    expect(lock.lost.reason).toBeInstanceOf(LockLoss)
    expect(lock.signal.reason).toBeInstanceOf(LockLoss)
    // Its release frees nothing: the lock is not its own any more.
    const next = await (await open()).acquire('removed', { signal: forever() })
    await lock.release()
    expect(existsSync(join(directory, 'removed.lock'))).toBe(true)
    await next.release()
  })

  it('skips the ticket of a process that died while waiting, and hands the lock to the next live one', async () => {
    const locker = await open()
    const holder = await locker.acquire('line', { signal: forever() })
    const peer = await open()
    const waiter = peer.acquire('line', { signal: forever(), requestRelease: false })
    await until(async () => (await readdir(join(directory, 'line.lock.q')).catch(() => [])).length === 1)
    // A ticket that arrived first, of a process that is gone.
    await writeFile(join(directory, 'line.lock.q', `${'0'.repeat(20)}_dead-1_r`), JSON.stringify({ pid: await deadProcess() }))
    await holder.release()
    const lock = await waiter
    await lock.release()
    expect(existsSync(join(directory, 'line.lock.q'))).toBe(false)
  })

  it('passes on a lock that another process\'s holder hands to a waiter after it gave up', async () => {
    const locker = await open()
    // The holder is another process (its lock file names a token of no locker here).
    await writeFile(join(directory, 'late.lock'), formatLock({ token: 'elsewhere-1', fence: 1, holder: self, asked: false }))
    const giveUp = new AbortController()
    const gone = locker.acquire('late', { signal: giveUp.signal, requestRelease: false })
    await until(async () => (await readdir(join(directory, 'late.lock.q')).catch(() => [])).length === 1)
    const [ticket] = await readdir(join(directory, 'late.lock.q'))
    const token = (ticket as string).split('_')[1] as string
    giveUp.abort(new Error('client gone'))
    await expect(gone).rejects.toThrow('client gone')
    // That holder had read the line before the waiter left, and now hands the lock to it.
    await writeFile(join(directory, 'late.lock.new'), formatLock({ token, fence: 2, holder: self, asked: false }))
    await rename(join(directory, 'late.lock.new'), join(directory, 'late.lock'))
    // The waiter's process passes it on (here: frees it, nobody else waits).
    const next = await (await open()).acquire('late', { signal: AbortSignal.timeout(5000) })
    expect(next.fence).toBeGreaterThan(2)
    await next.release()
  })

  it('never leaves the lock with a waiter that gives up while it is handed over', async () => {
    // Waiters of the peer give up while the holder hands over, again and again: whichever wins each race,
    // the lock must never stay with a request that is gone.
    const locker = await open()
    const peer = await open()
    for (let round = 0; round < 40; round++) {
      const holder = await locker.acquire('orphan', { signal: forever() })
      const giveUp = new AbortController()
      // Granted before it gave up, it lets go as any holder does; given up, it must never end up holding the lock.
      const gone = peer.acquire('orphan', { signal: giveUp.signal, requestRelease: false }).then(
        (lock) => lock.release(),
        () => undefined,
      )
      await until(async () => (await readdir(join(directory, 'orphan.lock.q')).catch(() => [])).length === 1)
      // The hand-over reads the line, then writes the new lock file: the waiter leaves somewhere in between.
      const released = holder.release()
      for (let turn = 0; turn < round % 20; turn++) await new Promise((resolve) => setImmediate(resolve))
      giveUp.abort(new Error('client gone'))
      await released
      await gone
      const next = await locker.acquire('orphan', { signal: AbortSignal.timeout(5000) })
      await next.release()
    }
  })
})
