import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { runLockerSuite } from '../conformance.suite.js'
import { FileLocker } from './file-locker.js'

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
