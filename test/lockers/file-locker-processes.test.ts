import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { existsSync } from 'node:fs'
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { FileLocker } from '../../src/lock/file/file-locker.js'
import { formatLock } from '../../src/lock/file/lock-files.js'

// The file locker between real processes on one directory: what two instances in one process
// (src/lock/file/file-locker.test.ts) cannot show - separate pids, kill -9, a race of many processes.
// The children run the built locker (dist/), as the gateway's processes do.

const WORKER = fileURLToPath(new URL('./fixtures/file-lock-worker.mjs', import.meta.url))
const HOLDER = fileURLToPath(new URL('./fixtures/file-lock-holder.mjs', import.meta.url))

interface Child {
  readonly process: ChildProcess
  /** Resolves with the first stdout line starting with `prefix`. */
  line(prefix: string): Promise<string>
}

describe('the file locker across processes', () => {
  let directory: string
  const children: ChildProcess[] = []

  beforeEach(async () => {
    if (!existsSync(fileURLToPath(new URL('../../dist/lock/file/file-locker.js', import.meta.url)))) throw new Error('run npm run build first')
    directory = await mkdtemp(join(tmpdir(), 'rg-file-locks-'))
  })
  afterEach(async () => {
    for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
    await rm(directory, { recursive: true, force: true })
  })

  function start(script: string, args: string[]): Child {
    const child = spawn(process.execPath, [script, ...args], { stdio: ['pipe', 'pipe', 'inherit'] })
    children.push(child)
    let output = ''
    const waiting: { prefix: string; resolve: (line: string) => void }[] = []
    child.stdout?.setEncoding('utf8').on('data', (text: string) => {
      output += text
      for (const entry of [...waiting]) {
        const line = output.split('\n').find((candidate) => candidate.startsWith(entry.prefix))
        if (line !== undefined) {
          waiting.splice(waiting.indexOf(entry), 1)
          entry.resolve(line)
        }
      }
    })
    return {
      process: child,
      line: (prefix) =>
        new Promise((resolve, reject) => {
          const line = output.split('\n').find((candidate) => candidate.startsWith(prefix))
          if (line !== undefined) return resolve(line)
          waiting.push({ prefix, resolve })
          child.once('exit', (code, signal) => reject(new Error(`child exited (${code ?? signal}) before printing ${prefix}`)))
        }),
    }
  }

  /** Runs `count` workers doing `rounds` locked read-modify-writes of one counter each, all started at once. */
  async function race(count: number, rounds: number, id: string): Promise<{ total: number; fences: number[] }> {
    const counter = join(directory, 'counter.txt')
    await writeFile(counter, '0')
    await writeFile(`${counter}.fences`, '')
    const workers = Array.from({ length: count }, () => start(WORKER, [directory, id, String(rounds), counter]))
    await Promise.all(workers.map((worker) => worker.line('ready')))
    for (const worker of workers) worker.process.stdin?.write('go\n')
    await Promise.all(workers.map((worker) => worker.line('done')))
    const fences = (await readFile(`${counter}.fences`, 'utf8'))
      .trim()
      .split('\n')
      .map((line) => line.split(' ').map(Number) as [number, number])
      .sort((a, b) => a[0] - b[0])
      .map(([, fence]) => fence)
    return { total: Number(await readFile(counter, 'utf8')), fences }
  }

  function expectGrowing(fences: number[]): void {
    for (let i = 1; i < fences.length; i++) expect(fences[i], `fence ${i}`).toBeGreaterThan(fences[i - 1] as number)
  }

  it('lets 4 processes take one lock in turn: no update is lost, and fences grow with every grant', async () => {
    const { total, fences } = await race(4, 25, 'contended')
    expect(total).toBe(100)
    expect(fences).toHaveLength(100)
    expectGrowing(fences)
    // Every grant was let go, every ticket taken out of line.
    expect((await readdir(directory)).filter((name) => name.startsWith('contended'))).toEqual([])
  })

  it('lets 4 processes that find one dead process\'s lock take it over one at a time', async () => {
    const dead = spawn(process.execPath, ['-e', ''])
    await once(dead, 'exit')
    await writeFile(join(directory, 'stale.lock'), formatLock({ token: 'of-a-dead-process', fence: 1, holder: { pid: dead.pid as number }, asked: false }))
    const { total, fences } = await race(4, 10, 'stale')
    expect(total).toBe(40)
    expectGrowing(fences)
    // The removal markers of the stale lock are gone too.
    expect((await readdir(directory)).filter((name) => name.startsWith('stale'))).toEqual([])
  })

  it('gives the lock of a process killed with -9 to the next request at once, with a greater fence', async () => {
    const holder = start(HOLDER, [directory, 'crashed'])
    const fence = Number((await holder.line('held')).split(' ')[1])
    holder.process.kill('SIGKILL')
    await once(holder.process, 'exit')
    const locker = await FileLocker.open({ directory })
    try {
      // wait: false takes a lock only if it is free now: the dead holder's file does not count.
      const lock = await locker.acquire('crashed', { signal: new AbortController().signal, wait: false })
      expect(lock.fence).toBeGreaterThan(fence)
      await lock.release()
    } finally {
      await locker.close()
    }
  })

  it('hands the lock to a request already waiting when its holder is killed with -9', async () => {
    const holder = start(HOLDER, [directory, 'waited-for'])
    await holder.line('held')
    const locker = await FileLocker.open({ directory, recheckMs: 200 })
    try {
      const waiting = locker.acquire('waited-for', { signal: AbortSignal.timeout(20_000) })
      // The live holder was asked to let go (it never does: it is stuck, then dies).
      for (let tries = 0; tries < 100 && !existsSync(join(directory, 'waited-for.stop')); tries++) await new Promise((resolve) => setTimeout(resolve, 20))
      expect(existsSync(join(directory, 'waited-for.stop'))).toBe(true)
      holder.process.kill('SIGKILL')
      const lock = await waiting
      await lock.release()
    } finally {
      await locker.close()
    }
  })
})
