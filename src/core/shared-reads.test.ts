import { describe, expect, it } from 'vitest'
import { SharedReads, type SharedRead } from './shared-reads.js'

/** A read the test starts and ends by hand. */
function manualRead(): {
  read: (shared: SharedRead) => Promise<string>
  calls: SharedRead[]
  finish(value: string): void
  fail(error: Error): void
} {
  const calls: SharedRead[] = []
  let finish!: (value: string) => void
  let fail!: (error: Error) => void
  const read = (shared: SharedRead): Promise<string> => {
    calls.push(shared)
    return new Promise<string>((resolve, reject) => {
      finish = resolve
      fail = reject
      shared.signal.addEventListener('abort', () => reject(shared.signal.reason), { once: true })
    })
  }
  return { read, calls, finish: (value) => finish(value), fail: (error) => fail(error) }
}

const live = (): AbortSignal => new AbortController().signal

describe('SharedReads', () => {
  it('runs one read for every request that arrives before it starts, and gives each its result', async () => {
    const reads = new SharedReads<string>()
    const manual = manualRead()
    const results = Array.from({ length: 5 }, () => reads.run('a', live(), manual.read))
    expect(manual.calls).toHaveLength(1)
    manual.finish('state')
    expect(await Promise.all(results)).toEqual(Array(5).fill('state'))
  })

  it('gives a request that arrives once the read started a read of its own', async () => {
    const reads = new SharedReads<string>()
    const manual = manualRead()
    const first = reads.run('a', live(), manual.read)
    manual.calls[0]?.seal()
    const second = reads.run('a', live(), manual.read)
    expect(manual.calls).toHaveLength(2)
    manual.finish('newer')
    expect(await second).toBe('newer')
    // The first read is still under way; only its own members wait for it.
    const raced = await Promise.race([first, Promise.resolve('pending')])
    expect(raced).toBe('pending')
  })

  it('keeps the reads of different keys apart', () => {
    const reads = new SharedReads<string>()
    const manual = manualRead()
    void reads.run('a', live(), manual.read)
    void reads.run('b', live(), manual.read)
    expect(manual.calls).toHaveLength(2)
  })

  it('lets a request that goes away leave at once, with its own reason, while the others wait on', async () => {
    const reads = new SharedReads<string>()
    const manual = manualRead()
    const leaving = new AbortController()
    const left = reads.run('a', leaving.signal, manual.read)
    const staying = reads.run('a', live(), manual.read)
    const reason = new Error('client gone')
    leaving.abort(reason)
    await expect(left).rejects.toBe(reason)
    expect(manual.calls[0]?.signal.aborted).toBe(false)
    manual.finish('state')
    expect(await staying).toBe('state')
  })

  it('abandons the read when the last request goes away, and starts afresh for the next', async () => {
    const reads = new SharedReads<string>()
    const manual = manualRead()
    const requests = [new AbortController(), new AbortController()]
    const runs = requests.map((request) => reads.run('a', request.signal, manual.read))
    const reason = new Error('gone')
    for (const request of requests) request.abort(reason)
    for (const run of runs) await expect(run).rejects.toBe(reason)
    expect(manual.calls[0]?.signal.reason).toBe(reason)
    const next = reads.run('a', live(), manual.read)
    expect(manual.calls).toHaveLength(2)
    manual.finish('fresh')
    expect(await next).toBe('fresh')
  })

  it('refuses a request whose signal aborted already, without starting a read', () => {
    const reads = new SharedReads<string>()
    const manual = manualRead()
    const gone = new AbortController()
    gone.abort(new Error('gone'))
    expect(() => reads.run('a', gone.signal, manual.read)).toThrow('gone')
    expect(manual.calls).toHaveLength(0)
  })

  it('gives every member the error of a read that fails, and takes nobody into a failed read', async () => {
    const reads = new SharedReads<string>()
    const manual = manualRead()
    const runs = [reads.run('a', live(), manual.read), reads.run('a', live(), manual.read)]
    const failure = new Error('store down')
    manual.fail(failure)
    for (const run of runs) await expect(run).rejects.toBe(failure)
    void reads.run('a', live(), manual.read)
    expect(manual.calls).toHaveLength(2)
  })

  it('survives a read that throws before returning its promise', async () => {
    const reads = new SharedReads<string>()
    const failure = new Error('thrown at once')
    await expect(reads.run('a', live(), () => {
      throw failure
    })).rejects.toBe(failure)
    await expect(reads.run('a', live(), async () => 'again')).resolves.toBe('again')
  })
})
