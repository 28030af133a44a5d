import { existsSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { describe, expect, it, vi } from 'vitest'
import { acceptsTcp, freePort, waitUntil } from './readiness.js'
import { ServerStartError, startWithRetry, Startup } from './startup.js'

// The harness itself: what it promises about stopping, cleaning up and reporting, shown with sh and sleep.

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

describe('test server harness', () => {
  it('SIGKILLs a daemon that ignores SIGTERM once the grace period is over', async () => {
    const startup = await Startup.begin('harness')
    const daemon = startup.spawn('stubborn', 'sh', ['-c', "trap '' TERM; echo ready; while :; do sleep 1; done"])
    await waitUntil('the trap to be set', async () => (await readFile(daemon.logFile, 'utf8')).includes('ready'), { watch: [daemon] })
    expect(await daemon.stop(200)).toEqual({ code: null, signal: 'SIGKILL' })
    await startup.finish()
    expect(existsSync(startup.dir)).toBe(false)
  })

  it('stops a paused daemon', async () => {
    const startup = await Startup.begin('harness')
    const daemon = startup.spawn('sleeper', 'sleep', ['60'])
    daemon.signal('SIGSTOP')
    expect(await daemon.stop(5_000)).toEqual({ code: null, signal: 'SIGTERM' })
    await startup.finish()
  })

  it('stops what a failed start had started, removes its directory and reports the logs', async () => {
    let startup: Startup | undefined
    let pid = 0
    const failure = (async () => {
      startup = await Startup.begin('harness')
      try {
        pid = startup.spawn('first', 'sleep', ['60']).pid
        const second = startup.spawn('second', 'sh', ['-c', 'echo "second: cannot bind" >&2; exit 3'])
        await waitUntil('second to listen', () => acceptsTcp(1), { watch: [second] })
      } catch (error) {
        return startup.abandon(error)
      }
    })()
    const error: unknown = await failure.catch((reason: unknown) => reason)
    expect(error).toBeInstanceOf(ServerStartError)
    expect((error as Error).message).toMatch(/^harness did not start: second \(pid \d+\) exited \(code 3\) while waiting for second to listen/)
    expect((error as Error).message).toContain('second: cannot bind')
    expect(alive(pid)).toBe(false)
    expect(existsSync(startup?.dir ?? '')).toBe(false)
  })

  it('gives up waiting at the deadline with the last error', async () => {
    const attempt = waitUntil('something', () => Promise.reject(new Error('not yet')), { timeoutMs: 100 })
    await expect(attempt).rejects.toThrow('timed out waiting for something; last error: not yet')
  })

  it('retries a failed start once, says so, and reports both failures', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {})
    let calls = 0
    expect(await startWithRetry('flaky', async () => (++calls === 1 ? Promise.reject(new Error('port taken')) : 'started'))).toBe('started')
    const twice = startWithRetry('broken', () => Promise.reject(new Error(`failure ${++calls}`)))
    await expect(twice).rejects.toThrow('broken failed to start twice.\nFirst attempt: failure 3\nSecond attempt: failure 4')
    expect(warn.mock.calls).toEqual([
      ['flaky: the first start failed, trying once more: port taken'],
      ['broken: the first start failed, trying once more: failure 3'],
    ])
    warn.mockRestore()
  })

  it('hands out loopback ports that are free', async () => {
    const port = await freePort()
    expect(await acceptsTcp(port)).toBe(false)
  })

  it('reports a command that is not installed as an exit with its reason', async () => {
    const startup = await Startup.begin('harness')
    const daemon = startup.spawn('missing', 'no-such-command-here', [])
    await daemon.exited
    expect(daemon.exit()?.code).not.toBe(0)
    await startup.finish()
  })
})
